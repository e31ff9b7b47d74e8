"""A node outlives any failure of a task, and a task that kills its node is
given up (issue 22, item 2).

Before, a node caught only tspace's own errors: one award of 10^8 yuan made
DuckDB raise an overflow inside the trading centre's feature query, the
exception left ``tspace node``, the process exited, and the restarted node
leased the same task and died again (five leases before the space gave up).
Now any exception fails its task with a typed code that quotes nothing
(``internal_error``) and the node serves the next job; a task whose leases
ran out twice (its node died or hung on it each time) is not offered again
and its job fails with ``task_abandoned``.

Each test runs under both crypto suites (default, and gm: SM2 signatures,
SM3 hashes, SM4 seals), as the other fault tests do. The same, with real
``tspace node`` processes: tests/service/test_node_survival.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.node.snapshots import Snapshots
from tests.leakcheck import find_canaries, find_in_text, sqlite_text
from tests.service.world import AS_OF, World
from trusted_space.core.errors import Conflict
from trusted_space.nodes.base import TEST_ONLY_FAIL_ONCE, TEST_ONLY_FAIL_TEXT

CANARY = "73191.123456789123"
IDS = ["11010519491231002X", "110101199003074514"]
assert CANARY in TEST_ONLY_FAIL_TEXT


@pytest.fixture()
def world(tmp_path: Path, suite: str) -> Iterator[World]:
    """A space and its nodes in this process, under each crypto suite
    (tests/conftest.py's ``suite``: default, and gm's SM2/SM3/SM4)."""
    yield World(tmp_path, suite)


def submit(w: World) -> str:
    return w.insurer.submit_lookup(
        "underwriting_score",
        IDS,
        as_of=AS_OF,
        purpose="underwriting",
        providers={"hospital": ["hospital"], "cdc": ["cdc"]},
        model_document=w.model,
    )


def settle(w: World, rounds: int = 10) -> None:
    for _ in range(rounds):
        w.space.run_pending_work()
        for node in (w.hospital, w.cdc, w.insurer):
            node.run_pending()


def overflowing(calls: list[int]) -> Any:
    """A feature query that fails as DuckDB's did, quoting the value."""

    def feature_rows(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        raise duckdb.OutOfRangeException(f"Overflow in multiplication of DECIMAL(18): {CANARY}")

    return feature_rows


def test_an_exception_tspace_did_not_foresee_fails_the_task_and_the_node_serves_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    calls: list[int] = []
    with monkeypatch.context() as patch:
        patch.setattr(Snapshots, "feature_rows", overflowing(calls))
        failed = submit(w)
        settle(w)  # raised out of run_pending before: the node died here
    assert calls, "the feature query ran and failed"
    status = w.space.job_status("insurer", failed)
    assert status.state == "failed"
    assert status.reasons == ["internal_error (node=hospital, step=compute_features)"]
    # the exception's text stays on the node: not in the space's files or database
    space = w.app.state.settings.workdir / "space"
    assert not find_canaries(space, [CANARY])
    assert not find_in_text(sqlite_text(space / "space.sqlite"), [CANARY])
    # the same node objects answer the next job
    served = submit(w)
    settle(w)
    assert w.space.job_status("insurer", served).state == "succeeded"
    assert w.insurer.has_result(served)


def test_shared_work_that_fails_leaves_each_task_to_fail_on_its_own(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two jobs' compute_features tasks pulled together share one feature
    query (``before_tasks``); when it fails, each task runs its own and
    fails with its own code, and nothing escapes the node."""
    w = world
    jobs = [submit(w), submit(w)]
    for _ in range(4):  # both jobs up to their providers' compute_features tasks
        w.space.run_pending_work()
        for node in (w.cdc, w.insurer):
            node.run_pending()
        if not _features_waiting(w, jobs):
            w.hospital.run_pending()
    assert _features_waiting(w, jobs), "both compute_features tasks wait for the hospital"
    waiting = w.space.store.db.execute(  # the world's open job's too
        "SELECT count(*) FROM tasks WHERE node = 'hospital' AND kind = 'compute_features' "
        "AND state = 'pending'"
    ).fetchone()[0]
    calls: list[int] = []
    with monkeypatch.context() as patch:
        patch.setattr(Snapshots, "feature_rows", overflowing(calls))
        w.hospital.run_pending()
    assert len(calls) == 1 + waiting, "one shared query, then one per task"
    for job in jobs:
        status = w.space.job_status("insurer", job)
        assert (status.state, status.reasons) == (
            "failed",
            ["internal_error (node=hospital, step=compute_features)"],
        )


def _features_waiting(w: World, jobs: list[str]) -> bool:
    rows = w.space.store.db.execute(
        "SELECT count(*) FROM tasks WHERE node = 'hospital' AND kind = 'compute_features' "
        f"AND state = 'pending' AND job_id IN ({', '.join('?' * len(jobs))})",
        jobs,
    ).fetchone()
    return int(rows[0]) == len(jobs)


def test_the_test_only_failure_fires_once_per_process(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fault tests' switch (tests/service/test_node_survival.py) raises a
    plain ArithmeticError in the first task of its kind, then lets the node be."""
    w = world
    settle(w)  # the world's open job first
    monkeypatch.setenv(TEST_ONLY_FAIL_ONCE, "psi_respond")
    monkeypatch.setattr("trusted_space.nodes.base._failed_once", set())
    first = submit(w)
    settle(w)
    assert w.space.job_status("insurer", first).reasons == [
        "internal_error (node=hospital, step=psi_respond)"
    ]
    second = submit(w)
    settle(w)
    assert w.space.job_status("insurer", second).state == "succeeded"


def test_a_task_whose_leases_ran_out_twice_is_not_offered_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suite: str
) -> None:
    """The space's rule, step by step: a node leases a task and dies (its
    lease runs out), leases it again and dies again; the third pull does not
    offer it, the job fails with ``task_abandoned`` naming the node and the
    step, and a late result for it is refused."""
    monkeypatch.setenv("TSPACE_LEASE_SECONDS", "0.3")
    w = World(tmp_path, suite)
    job = submit(w)
    first = [t for t in w.space.pull_tasks("hospital") if t.job_id == job]
    assert [(t.payload.kind, t.attempt) for t in first] == [("psi_respond", 1)]
    time.sleep(0.4)  # the node died: its lease runs out
    again = [t for t in w.space.pull_tasks("hospital") if t.job_id == job]
    assert [(t.task_id, t.attempt) for t in again] == [(first[0].task_id, 2)]
    time.sleep(0.4)  # and died again
    assert [t for t in w.space.pull_tasks("hospital") if t.job_id == job] == []
    status = w.space.job_status("insurer", job)
    assert status.state == "failed"
    assert status.reasons == ["task_abandoned (node=hospital, step=psi_respond, leases=2)"]
    state = w.space.store.db.execute(
        "SELECT state, attempt FROM tasks WHERE task_id = ?", (first[0].task_id,)
    ).fetchone()
    assert tuple(state) == ("cancelled", 2)
    assert [e.kind for e in w.space.ledger.entries(job)][-1] == "job_failed"
    late = w.hospital._signed(again[0], w.hospital.handle(again[0]))
    with pytest.raises(Conflict):
        w.space.complete_task("hospital", late)
    time.sleep(0.4)
    assert [t for t in w.space.pull_tasks("hospital") if t.job_id == job] == []
    # the node serves the next job
    served = submit(w)
    settle(w)
    assert w.space.job_status("insurer", served).state == "succeeded"


def test_a_task_whose_lease_ran_out_once_is_offered_again_and_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suite: str
) -> None:
    """One lost lease (a node killed once, restarted) is not given up."""
    monkeypatch.setenv("TSPACE_LEASE_SECONDS", "0.3")
    w = World(tmp_path, suite)
    job = submit(w)
    assert [t for t in w.space.pull_tasks("hospital") if t.job_id == job]
    time.sleep(0.4)
    settle(w)
    assert w.space.job_status("insurer", job).state == "succeeded"
