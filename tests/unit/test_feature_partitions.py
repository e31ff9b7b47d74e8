"""Feature SQL by partition equals the SQL run once in the node's DuckDB.

Every role's feature SQL of the underwriting and lending products, over
generated hospital, CDC and tender data, with the subjects split into 2 and
5 partitions on the process pool (Ray: tests/e2e/test_ray.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from connectors.canonical import DATASETS
from connectors.node_store import NodeStore
from products.registry import get_product
from tests.role_nodes import AS_OF, ROLES, load_nodes, role_sources
from trusted_space.bulk import feature_partitions, parallel
from trusted_space.bulk.feature_partitions import feature_rows


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    sources = role_sources(tmp_path_factory.mktemp("data"), 3000, 600, 5)
    return load_nodes(sources, tmp_path_factory)


def subjects_of(store: NodeStore, dataset: str) -> pa.Table:
    """Every subject of the dataset, plus 40 nobody holds, with fresh handles."""
    union = " UNION ".join(f"SELECT {col} AS s FROM {table}" for table, col in DATASETS[dataset])
    held = [r[0] for r in store.con.sql(f"SELECT DISTINCT s FROM ({union}) ORDER BY s").fetchall()]
    ids = held + [f"absent-{i}" for i in range(40)]
    return pa.table(
        {"handle": [f"{i:032x}" for i in range(len(ids))], "subject": ids},
        schema=pa.schema([("handle", pa.string()), ("subject", pa.string())]),
    )


def by_handle(table: pa.Table) -> list[dict[str, object]]:
    return sorted(table.to_pylist(), key=lambda row: str(row["handle"]))


@pytest.mark.parametrize(("product_name", "role"), ROLES)
def test_partitions_equal_one_query(nodes: dict[str, Path], product_name: str, role: str) -> None:
    product = get_product(product_name)
    spec = product.role(role)
    with NodeStore(nodes[role], read_only=True) as store:
        subjects = subjects_of(store, spec.dataset)
        kwargs = {
            "keyed": DATASETS[spec.dataset],
            "reference": spec.reference_tables,
            "params": {"as_of": AS_OF},
        }
        sql = product.feature_sql(role)
        once = feature_rows(store.con, sql, subjects, parts=1, **kwargs)  # type: ignore[arg-type]
        assert once.num_rows == subjects.num_rows
        # Some subject has a non-zero feature, so the comparison can fail.
        assert any(
            v not in (0, None) for row in once.to_pylist() for k, v in row.items() if k != "handle"
        )
        for parts in (2, 5):
            split = feature_rows(store.con, sql, subjects, parts=parts, **kwargs)  # type: ignore[arg-type]
            assert split.schema == once.schema
            assert by_handle(split) == by_handle(once)


def test_the_local_pool_keeps_one_query(
    nodes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On one machine the node's DuckDB is faster than partitions
    (bench/features.py), so a large batch stays in process unless on Ray."""
    sent: list[str] = []
    real = parallel.starmap

    def recording(fn, arguments):  # type: ignore[no-untyped-def]
        sent.append(fn.__name__)
        return real(fn, arguments)

    monkeypatch.setattr(parallel, "starmap", recording)
    monkeypatch.setattr(feature_partitions, "PARTITION_FROM", 1)
    product = get_product("underwriting_score")
    with NodeStore(nodes["hospital"], read_only=True) as store:
        subjects = subjects_of(store, "hospital")
        feature_rows(
            store.con,
            product.feature_sql("hospital"),
            subjects,
            keyed=DATASETS["hospital"],
            params={"as_of": AS_OF},
        )
    assert parallel.backend_name() == "local"
    assert sent == []


def test_claims_with_their_arguments_split_as_one_query(nodes: dict[str, Path]) -> None:
    """A product whose subjects carry arguments (claim_verification) and
    reads a parameter: the arguments travel with each subject's partition."""
    product = get_product("claim_verification")
    with NodeStore(nodes["hospital"], read_only=True) as store:
        visits = store.con.sql(
            "SELECT person_id, hospital_id, visit_date, visit_type, total_cost "
            "FROM hospital_visits ORDER BY visit_id LIMIT 300"
        ).fetchall()
        # Each visit claimed as it is, one day late, and at twice its bill.
        claims = [
            (p, h, d + dt.timedelta(days=shift), t if shift == 0 else None, int(c * 100) * times)
            for p, h, d, t, c in visits
            for shift, times in ((0, 1), (1, 1), (0, 2))
        ]
        n = len(claims)
        subjects = pa.table(
            {
                "handle": [f"{i:032x}" for i in range(n)],
                "subject": [c[0] for c in claims],
                "hospital_id": [c[1] for c in claims],
                "visit_date": pa.array([c[2] for c in claims], pa.date32()),
                "visit_type": [c[3] for c in claims],
                "claimed_fen": pa.array([c[4] for c in claims], pa.int64()),
                "icd10_category": pa.array([None] * n, pa.string()),
            }
        )
        kwargs = {
            "keyed": DATASETS["hospital"],
            "params": {"as_of": AS_OF, "date_tolerance_days": 1},
        }
        sql = product.feature_sql("hospital")
        once = feature_rows(store.con, sql, subjects, parts=1, **kwargs)  # type: ignore[arg-type]
        rows = once.to_pylist()
        assert sum(r["visit_found"] for r in rows) == n  # every claim is of a real visit
        assert 0 < sum(r["within_bill"] for r in rows) < n  # the doubled ones are not
        for parts in (2, 5):
            split = feature_rows(store.con, sql, subjects, parts=parts, **kwargs)  # type: ignore[arg-type]
            assert by_handle(split) == by_handle(once)
