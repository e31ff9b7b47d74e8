"""A provider that pulls several jobs' feature tasks together runs their
feature SQL in one query, and every job gets the scores it gets alone."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from connectors.applicants import read_applicants
from connectors.node.provider import ProviderNode
from tests.idleness import Switch
from tests.stories import offer_health
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat import paillier_noise, psi
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.nodes import runner
from trusted_space.nodes.consumer import ConsumerNode
from trusted_space.space.engines.ready import INLINE_BATCH
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


def test_a_small_job_is_combined_as_its_last_features_arrive(
    data: Path, dep: EmbeddedDeployment
) -> None:
    """Up to INLINE_BATCH subjects the space combines in the transaction
    that takes the last provider's features; a larger job waits for the
    background worker. Both give the scores of the same job run whole."""
    people = ids(data)
    for batch, inline in ((people[:1], True), (people[: INLINE_BATCH + 1], False)):
        node = dep.consumer(f"insurer-{len(batch)}")
        job = submit(node, batch)
        for _ in range(3):  # PSI, then features; never the background worker
            for provider in dep.providers.values():
                provider.run_pending()
            node.run_pending()
        status = node.transport.job_status(job)
        if inline:
            assert (status.state, status.step) == ("succeeded", "released")
            assert node.has_result(job)
        else:
            assert (status.state, status.step) == ("running", "combining")
            assert dep.space.run_pending_work() == 1
            node.run_pending()
        again = dep.consumer(f"again-{len(batch)}")
        whole = submit(again, batch)
        dep.run_job(again, whole)
        assert node.outcome(job).values == again.outcome(whole).values


def test_jobs_on_psi_clients_made_ahead_get_the_same_scores(
    data: Path, dep: EmbeddedDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived consumer's PSI clients made in idle time: each job takes
    its own (the pool shrinks by one), and the scores are those of a
    consumer that makes its client on the spot."""
    people = ids(data)
    pooled, plain = dep.consumer("insurer-ahead"), dep.consumer("insurer-now")
    # Idle as the test says, not as the machine's load says (see tests/idleness.py).
    monkeypatch.setattr(pooled, "psi_ahead", psi.PsiClientsAhead(idleness=Switch(idle=True)))
    pooled.psi_ahead.start()
    try:
        first = submit(pooled, people[:3])  # finds none ready; the pool starts
        dep.run_job(pooled, first)
        deadline = time.monotonic() + 60
        while pooled.psi_ahead.ready() < 2:
            assert time.monotonic() < deadline, "no PSI client was made ahead"
            time.sleep(0.01)
        taken: list[psi.PsiClient | None] = []
        take = pooled.psi_ahead.take

        def recording() -> psi.PsiClient | None:
            taken.append(take())
            return taken[-1]

        monkeypatch.setattr(pooled.psi_ahead, "take", recording)
        for batch in (people[3:5], people[5:9]):
            job = submit(pooled, batch)
            assert taken[-1] is not None  # this job's client was made ahead
            dep.run_job(pooled, job)
            reference = submit(plain, batch)
            dep.run_job(plain, reference)
            assert pooled.outcome(job).values == plain.outcome(reference).values
            assert any(v is not None for v in pooled.outcome(job).values)
    finally:
        pooled.psi_ahead.stop()


@contextmanager
def serving(node: ConsumerNode) -> Iterator[None]:
    """``runner.serve_node`` on a thread, as ``tspace node`` runs it, until the block ends."""
    stop = threading.Event()
    thread = threading.Thread(
        target=runner.serve_node, args=(node,), kwargs={"stop": stop, "wait": 0.05}
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def test_a_long_lived_consumer_node_makes_psi_clients_ahead(
    dep: EmbeddedDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve_node`` (``tspace node``) starts a consumer's pool; a one-shot
    consumer's stays off."""
    monkeypatch.setattr(runner, "compute_zeros_ahead", lambda: None)  # process-wide: not here
    one_shot, served = dep.consumer("one-shot"), dep.consumer("served")
    # Idle as the test says, not as the machine's load says (see tests/idleness.py).
    monkeypatch.setattr(served, "psi_ahead", psi.PsiClientsAhead(idleness=Switch(idle=True)))
    try:
        with serving(served):
            deadline = time.monotonic() + 60
            while served.psi_ahead.take() is None:  # the first take starts the filling
                assert time.monotonic() < deadline, "the served consumer made no PSI client ahead"
                time.sleep(0.05)
            assert one_shot.psi_ahead.take() is None
            time.sleep(0.2)
            assert one_shot.psi_ahead.ready() == 0
    finally:
        served.psi_ahead.stop()


def test_a_long_lived_consumer_node_draws_zeros_for_its_own_key_ahead(
    dep: EmbeddedDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve_node`` marks a consumer's own Paillier key in use from the
    start, so zeros for its blind lookups' Enc(-r) are drawn in idle time,
    by the owner's draw, before its first job."""
    pools = paillier_noise.ZeroPools(zeros=6, idleness=Switch(idle=True))
    monkeypatch.setattr(paillier_noise, "AHEAD", pools)
    monkeypatch.setattr(runner, "compute_zeros_ahead", pools.start)
    served = dep.consumer("served-zeros")
    drawn: list[int] = []
    real = paillier_noise.OwnerNoise.draw

    def counted(self: paillier_noise.OwnerNoise) -> Any:
        z = real(self)
        drawn.append(int(z))
        return z

    monkeypatch.setattr(paillier_noise.OwnerNoise, "draw", counted)
    try:
        with serving(served):
            deadline = time.monotonic() + 60
            while pools.ready(served.paillier_public) < 6:
                assert time.monotonic() < deadline, "no zero was drawn ahead for the consumer's key"
                time.sleep(0.02)
            ready = pools.take(served.paillier_public, 6)
            assert {int(z) for z in ready} <= set(drawn)  # the owner's draw, not textbook
            assert {served.paillier_private.decrypt(z) for z in ready} == {0}
    finally:
        pools.stop()
        served.psi_ahead.stop()
