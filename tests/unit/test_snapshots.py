"""A provider's snapshots answer as its queries do, and never once stale.

Feature snapshots of every role of the underwriting and lending products
equal the role's feature SQL for every subject; consent views equal
``NodeStore.withheld``; nothing is built before ``AFTER_USES`` asks; any
write to the store (a load, a consent, an opt-out) sends the next job back
to its query.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from connectors.base import LoadOptions, get_connector
from connectors.node import snapshots as snapshots_module
from connectors.node.snapshots import Snapshots, query_features
from connectors.node_store import NodeStore, subjects_sql
from products.registry import get_product
from tests.role_nodes import AS_OF, ROLES, Sources, load_nodes, role_sources


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    return role_sources(tmp_path_factory.mktemp("data"), 1500, 300, 11)


@pytest.fixture(scope="module")
def loaded(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return load_nodes(sources, tmp_path_factory)


@pytest.fixture
def after_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshots_module, "AFTER_USES", 2)


def store_of(loaded: dict[str, Path], role: str, tmp_path: Path) -> NodeStore:
    """A writable copy of a loaded node store."""
    shutil.copytree(loaded[role], tmp_path / role)
    return NodeStore(tmp_path / role)


@pytest.fixture
def hospital(loaded: dict[str, Path], tmp_path: Path) -> Iterator[NodeStore]:
    with store_of(loaded, "hospital", tmp_path) as store:
        yield store


def subjects(store: NodeStore, dataset: str) -> list[str]:
    return sorted(str(s) for (s,) in store.con.sql(subjects_sql(dataset)).fetchall())


def ask(snaps: Snapshots, role: str, product: str, ids: list[str]) -> pa.Table:
    handles = [f"{i:032x}" for i in range(len(ids))]
    return snaps.feature_rows(get_product(product), role, AS_OF, handles, ids)


def by_handle(table: pa.Table) -> list[dict[str, object]]:
    return sorted(table.to_pylist(), key=lambda row: str(row["handle"]))


@pytest.mark.usefixtures("after_two")
@pytest.mark.parametrize(("product_name", "role"), ROLES)
def test_a_snapshot_answers_as_the_query_does(
    loaded: dict[str, Path], tmp_path: Path, product_name: str, role: str
) -> None:
    product = get_product(product_name)
    with store_of(loaded, role, tmp_path) as store:
        snaps = Snapshots(store)
        everyone = subjects(store, product.role(role).dataset)
        batch = [*everyone[::7], "absent-1"]  # one nobody holds: the query's zeros
        handles = [f"{i:032x}" for i in range(len(batch))]
        queried = query_features(store.con, product, role, AS_OF, handles, batch)
        assert any(
            v not in (0, None)
            for row in queried.to_pylist()
            for k, v in row.items()
            if k != "handle"
        )
        for _ in range(2):  # the second ask starts the build
            assert by_handle(ask(snaps, role, product_name, batch)) == by_handle(queried)
        snaps.wait()
        snapshot = snaps._features.get((product_name, role, AS_OF))
        assert snapshot is not None and len(snapshot.index) == len(everyone)
        # Every held subject from the snapshot; the absent one sends the
        # batch to its query. Both as the query answers.
        held = batch[:-1]
        from_snapshot = snapshot.rows(handles[:-1], held)
        assert from_snapshot is not None and from_snapshot.schema == queried.schema
        assert by_handle(from_snapshot) == by_handle(queried.slice(0, len(held)))
        assert snapshot.rows(handles, batch) is None
        assert by_handle(ask(snaps, role, product_name, batch)) == by_handle(queried)


def test_nothing_is_built_before_enough_asks(hospital: NodeStore) -> None:
    snaps = Snapshots(hospital)
    ids = subjects(hospital, "hospital")[:3]
    for _ in range(snapshots_module.AFTER_USES - 1):
        ask(snaps, "hospital", "underwriting_score", ids)
    snaps.wait()
    assert snaps._features._values == {} and snaps._features._threads == []
    ask(snaps, "hospital", "underwriting_score", ids)
    snaps.wait()
    assert list(snaps._features._values) == [("underwriting_score", "hospital", AS_OF)]


@pytest.mark.usefixtures("after_two")
def test_a_load_makes_the_snapshot_stale(
    hospital: NodeStore, sources: Sources, tmp_path: Path
) -> None:
    snaps = Snapshots(hospital)
    person = subjects(hospital, "hospital")[0]
    before = ask(snaps, "hospital", "underwriting_score", [person])
    ask(snaps, "hospital", "underwriting_score", [person])
    snaps.wait()
    # One more visit for that person inside the window, loaded as a new file.
    visits = pd.read_csv(sources["hospital"][1][0], dtype=str, keep_default_na=False)
    row = visits[visits["person_id"] == person].head(1).copy()
    row["visit_id"] = row["visit_id"] + "-again"
    row["visit_date"], row["discharge_date"] = "2026-10-01", ""
    extra = tmp_path / "extra" / "hospital_visits.csv"
    extra.parent.mkdir()
    row.to_csv(extra, index=False)
    report = get_connector("csv").load([extra], hospital, LoadOptions())
    assert report.rows_rejected == 0
    after = ask(snaps, "hospital", "underwriting_score", [person])
    assert after.column("visits_12m")[0].as_py() == before.column("visits_12m")[0].as_py() + 1
    # The query's answer; rebuilt after enough asks at the new generation.
    ask(snaps, "hospital", "underwriting_score", [person])
    snaps.wait()
    assert by_handle(ask(snaps, "hospital", "underwriting_score", [person])) == by_handle(after)


@pytest.mark.usefixtures("after_two")
def test_consent_views_answer_as_the_store_and_follow_every_change(hospital: NodeStore) -> None:
    snaps = Snapshots(hospital)
    ids = subjects(hospital, "hospital")[:6]
    far, past = dt.date(2027, 12, 31), dt.date(2026, 1, 1)
    hospital.record_consents(
        [
            (ids[0], "insurer", "underwriting_score", "underwriting", far, "EV-0"),
            (ids[1], "insurer", "underwriting_score", "underwriting", far, "EV-1"),
            (ids[2], "insurer", "underwriting_score", "underwriting", past, "EV-2"),  # expired
            (ids[3], "insurer", "underwriting_score", "marketing", far, "EV-3"),  # other purpose
            (ids[4], "other", "underwriting_score", "underwriting", far, "EV-4"),  # other consumer
        ]
    )
    today = dt.date(2026, 11, 27)
    asks = [
        ("insurer", "underwriting_score", "underwriting", today),
        (None, "underwriting_score", "underwriting", today),
    ]

    def agree() -> set[str]:
        for consumer, product, purpose, on in asks:
            for _ in range(2):
                snaps.withheld(ids, consumer, product, purpose, on)
        snaps.wait()
        assert snaps._consents.get(asks[0]) is not None  # answered from the view
        out = set()
        for consumer, product, purpose, on in asks:
            refused = snaps.withheld(ids, consumer, product, purpose, on)
            assert refused == hospital.withheld(ids, consumer, product, purpose, on)
            out |= refused
        return out

    assert agree() == set(ids[2:])
    assert snaps.withheld(ids, *asks[0]) == set(ids[2:])
    hospital.revoke_consents(ids[0])
    assert snaps.withheld(ids, *asks[0]) == set(ids[2:]) | {ids[0]}  # at once
    hospital.opt_out(ids[1], "EV-out")
    assert snaps.withheld(ids, *asks[1]) == {ids[1]}  # at once
    assert agree() == set(ids[2:]) | {ids[0], ids[1]}


def test_a_second_store_on_the_same_file_makes_views_stale(
    hospital: NodeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots_module, "AFTER_USES", 1)
    snaps = Snapshots(hospital)
    person = subjects(hospital, "hospital")[0]
    ask_ = ("insurer", "underwriting_score", "underwriting", dt.date(2026, 11, 27))
    assert snaps.withheld([person], *ask_) == {person}
    snaps.wait()
    assert snaps._consents.get(ask_) is not None
    with NodeStore(hospital.dir) as other:  # another handle in this process
        other.record_consents([(person, *ask_[:3], dt.date(2027, 1, 1), "EV")])
    assert snaps.withheld([person], *ask_) == set()
    snaps.wait()  # that miss started a build: done before the store closes
