"""A provider that pulls several jobs' feature tasks together runs their
feature SQL in one query, and every job gets the scores it gets alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.applicants import read_applicants
from connectors.provider_node import ProviderNode
from tests.stories import offer_health
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.nodes.consumer import ConsumerNode
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)
PROVIDERS = {"hospital": ["hospital"], "cdc": ["cdc"]}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("batches")
    generate_health(1500, 31, out, applicants=40, end_date=AS_OF)
    return out


@pytest.fixture
def dep(data: Path, tmp_path: Path) -> Iterator[EmbeddedDeployment]:
    with EmbeddedDeployment(tmp_path / "w", paillier_preset=TEST_ONLY_PAILLIER_1024) as dep:
        offer_health(dep, data)
        yield dep


def ids(data: Path) -> list[str]:
    return [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]


def submit(node: ConsumerNode, subjects: list[str]) -> str:
    return node.submit_lookup(
        "underwriting_score",
        subjects,
        as_of=AS_OF,
        purpose="underwriting",
        providers=PROVIDERS,
        model_document=default_model_path().read_bytes(),
    )


def test_feature_tasks_pulled_together_share_one_query(
    data: Path, dep: EmbeddedDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = ids(data)
    batches = {"insurer-a": people[:25], "insurer-b": people[15:]}
    consumers = {name: dep.consumer(name) for name in batches}
    queries: list[tuple[str, int]] = []  # (provider, subjects in the query)
    real = ProviderNode._feature_table

    def recording(self: ProviderNode, *args: Any) -> Any:
        table = real(self, *args)
        queries.append((self.name, table.num_rows))
        return table

    monkeypatch.setattr(ProviderNode, "_feature_table", recording)
    jobs = {name: submit(consumers[name], batch) for name, batch in batches.items()}
    for _ in range(20):  # both jobs move in step: their tasks arrive together
        dep.space.run_pending_work()
        for provider in dep.providers.values():
            provider.run_pending()
        for node in consumers.values():
            node.run_pending()
        if all(consumers[n].has_result(j) for n, j in jobs.items()):
            break
    together = {n: consumers[n].outcome(j) for n, j in jobs.items()}
    # One query per provider, holding both jobs' matched subjects.
    assert sorted(p for p, _ in queries) == ["cdc", "hospital"]
    for provider, rows in queries:
        assert rows == sum(together[n].matched[provider] for n in jobs)
        assert all(together[n].matched[provider] > 0 for n in jobs)

    # Each job again, alone: the same scores.
    for name, batch in batches.items():
        node = dep.consumer(f"{name}-alone")
        job = submit(node, batch)
        dep.run_job(node, job)
        alone = node.outcome(job)
        assert alone.values == together[name].values
        assert alone.matched == together[name].matched
        assert any(v is not None and v[0] != 0 for v in alone.values)
