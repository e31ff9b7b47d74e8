"""Faults, injected into real processes on 127.0.0.1 and into the space's
writes: kill -9 of the space and of each node at each protocol step, a full
disk during a commit, a slow node past its lease, a consumer that never comes
back. Every job finishes (with the same scores as the embedded run) or fails
cleanly; the space's database stays consistent and its ledger verifies;
nothing recorded is lost. The kills run under the default crypto suite, and
one of each kind of step again under the national suite (gm: SM2 signatures
and seals, SM3 hashes), on a deployment of its own."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_runner import run_tspace
from tests.service.procs import Proc, ServiceDeployment, wait_healthy, wait_text
from tests.service.underwriting import AS_OF, Deployment
from tests.service.world import World
from trusted_space.nodes.base import TEST_ONLY_HOLD
from trusted_space.service.app import create_app
from trusted_space.service.settings import ServiceSettings
from trusted_space.space.jobs import TEST_ONLY_HOLD_STEP

pytestmark = pytest.mark.slow

# A process is killed after it did a task of this kind and before it posted
# the result: it holds there (TSPACE_TEST_ONLY_HOLD_AFTER), so the kill
# certainly interrupts that step.
# The space is killed while the job is at a step: a query on the space's
# state that holds then, checked again with the space stopped (SIGSTOP), so
# it still held at the kill. Its background step can be shorter than two
# looks at the tables: the space holds before it (TSPACE_TEST_ONLY_HOLD_BEFORE_STEP).
HELD_STEPS = {"combining"}
SPACE_AT = {
    "psi": "SELECT task_id FROM tasks WHERE kind = 'psi_respond' AND state = 'leased'",
    "intersect": "SELECT job_id FROM jobs WHERE state = 'running' AND step = 'intersect'",
    "features": "SELECT job_id FROM jobs WHERE state = 'running' AND step = 'features'",
    "combining": "SELECT job_id FROM jobs WHERE state = 'running' AND step = 'combining'",
}
# The hospital at compute_features and the space at features are in
# test_http_story.py, under both crypto suites.
CASES = [
    ("hospital", "psi_respond"),
    ("cdc", "psi_respond"),
    ("cdc", "compute_features"),
    ("insurer", "psi_finish"),
    ("insurer", "result_ready"),
    ("space", "psi"),
    ("space", "intersect"),
    ("space", "combining"),
]
# Under gm, one kill of each kind of step the cases above and
# test_http_story.py's gm runs do not already cover: a provider's PSI
# answer, both of the consumer's steps, and the space at each of its steps.
GM_CASES = [
    ("hospital", "psi_respond"),
    ("insurer", "psi_finish"),
    ("insurer", "result_ready"),
    ("space", "psi"),
    ("space", "intersect"),
    ("space", "combining"),
]


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, data: Path, request: pytest.FixtureRequest
) -> Iterator[Deployment]:
    """One deployment per crypto suite for the module (the default one unless
    a test asks for gm): each test leaves every job settled."""
    suite = getattr(request, "param", "default")
    # A job left behind by a killed client expires instead of running forever.
    dep = Deployment(
        tmp_path_factory.mktemp(f"faults-{suite}"),
        data,
        suite,
        space_env={"TSPACE_JOB_TIMEOUT_SECONDS": "45"},
        policies="policies-direct",  # the direct lookup's steps
    )
    yield dep
    dep.stop()


@pytest.fixture()
def deployment(shared: Deployment) -> Deployment:
    """The shared deployment with every process up, serving, and no output."""
    if shared.space_changed:
        shared.restart_space()
    wait_healthy(shared.url)
    for node in shared.nodes.values():
        if node.proc.poll() is not None or node.env != shared.env:
            serving = node.text().count(SERVING)
            node.env = dict(shared.env)
            node.restart()
            wait_text(node, SERVING, serving + 1)
    (shared.root / "scores.csv").unlink(missing_ok=True)
    return shared


SERVING = "is pulling work"


def held(kind: str) -> dict[str, str]:
    return {TEST_ONLY_HOLD: kind}


def new_job(dep: ServiceDeployment, known: set[str]) -> str:
    """The one job submitted since ``known`` (its state may be any)."""
    jobs = {str(r[0]) for r in dep.db_rows("SELECT job_id FROM jobs")} - known
    assert len(jobs) == 1, jobs
    return jobs.pop()


def attempts(dep: ServiceDeployment, job: str, node: str, kind: str) -> int:
    rows = dep.db_rows(
        f"SELECT attempt FROM tasks WHERE job_id = '{job}' AND node = '{node}' AND kind = '{kind}'"
    )
    assert len(rows) == 1, rows
    return int(rows[0][0])  # type: ignore[call-overload]


def space_suite(dep: ServiceDeployment) -> str:
    """The crypto suite the space was created under (its ledger's first entry)."""
    (row,) = dep.db_rows("SELECT entry FROM ledger WHERE kind = 'space_created'")
    return str(json.loads(str(row[0]))["details"]["suite"])


def consistent(dep: ServiceDeployment) -> int:
    """The space's database passes SQLite's integrity check and its whole
    ledger verifies with the space's public key; return the ledger's size."""
    db = sqlite3.connect(dep.db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        entries = int(db.execute("SELECT count(*) FROM ledger").fetchone()[0])
    finally:
        db.close()
    # In this process (tests/cli_runner.py): the command is the subject of
    # tests/e2e/test_ledger_cli.py; a process of its own cost a second of CPU.
    verified = run_tspace("ledger", "verify", "--workdir", str(dep.db_path.parent.parent))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Ledger intact" in verified.stdout, verified.stdout
    return entries


def settled(dep: ServiceDeployment, timeout: float = 120.0) -> list[str]:
    """Wait until no job is queued or running; return the jobs' states."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [str(r[0]) for r in dep.db_rows("SELECT state FROM jobs")]
        if states and not {"queued", "running"} & set(states):
            return states
        time.sleep(0.1)
    raise TimeoutError(f"jobs never settled: {dep.db_rows('SELECT state, step FROM jobs')}")


@pytest.mark.parametrize(("victim", "moment"), CASES, ids=[f"{v}-{m}" for v, m in CASES])
def test_kill_9_at_each_step(
    deployment: Deployment, expected: bytes, victim: str, moment: str
) -> None:
    kill_at(deployment, expected, victim, moment)


def kill_at(dep: Deployment, expected: bytes, victim: str, moment: str) -> None:
    """Kill ``victim`` at ``moment`` (SPACE_AT for the space, else the kind
    of task it holds after), start it again, and check the job, the output,
    the database, the ledger and the logs."""
    known = {str(r[0]) for r in dep.db_rows("SELECT job_id FROM jobs")}
    if victim == "space":
        if moment in HELD_STEPS:
            dep.restart_space(**{TEST_ONLY_HOLD_STEP: moment})
        client = dep.underwrite()
        dep.wait_for(SPACE_AT[moment])
        dep.space.proc.send_signal(signal.SIGSTOP)
        assert dep.db_rows(SPACE_AT[moment]), f"the job was at {moment} when the space was killed"
        dep.space.kill9()
        dep.space.env = dict(dep.space_env)  # it starts again without the hold
        dep.space.restart()
        wait_healthy(dep.url)
    elif victim == "insurer":
        client = dep.underwrite(env=held(moment))
        wait_text(client, f"holding after {moment}")
        job = new_job(dep, known)
        client.kill9()
        assert not (dep.root / "scores.csv").exists(), "no half-written output"
        client = dep.underwrite()  # the insurer runs the command again
    else:
        node = dep.nodes[victim]
        serving = node.text().count(SERVING)
        node.env = {**dep.env, **held(moment)}
        node.restart()
        wait_text(node, SERVING, serving + 1)
        client = dep.underwrite()
        wait_text(node, f"holding after {moment}")
        job = new_job(dep, known)
        node.kill9()
        node.env = dict(dep.env)
        node.restart()
    assert client.proc.wait(timeout=180) == 0, client.text()
    assert (dep.root / "scores.csv").read_bytes() == expected
    if victim == "insurer":
        dep.expire_abandoned_jobs()  # the killed client's job, if no one did its step again
    states = settled(dep)
    assert "succeeded" in states and set(states) <= {"succeeded", "failed"}, states
    if victim == "insurer":
        old = dep.db_rows(f"SELECT state FROM jobs WHERE job_id = '{job}'")
        if moment == "result_ready":
            # The space had released the result before the kill: that job
            # stays succeeded (never expired), its delivery offered again only
            # when its lease lapses; the rerun got its own job and result.
            assert old == [("succeeded",)], old
            assert attempts(dep, job, "insurer", moment) >= 1
        else:
            # The killed client's job: its step was done again, or the job expired.
            assert attempts(dep, job, "insurer", moment) >= 2 or old == [("failed",)], old
    elif victim != "space":
        assert attempts(dep, job, victim, moment) >= 2, "the killed step was offered again"
    new = {str(r[0]) for r in dep.db_rows("SELECT job_id FROM jobs")} - known
    assert len(new) == (2 if victim == "insurer" else 1), new
    consistent(dep)
    logs = dep.logs()
    assert "unexpected" not in logs  # the service's handler of errors it did not foresee
    # A pool worker being started when its parent is killed dies in
    # multiprocessing's own start-up (EOFError): the only traceback allowed.
    blocks = logs.split("Traceback (most recent call last):")[1:]
    assert [b for b in blocks if "multiprocessing/spawn.py" not in b] == []


def test_a_full_disk_during_a_commit_loses_nothing(
    deployment: Deployment, expected: bytes, tmp_path: Path
) -> None:
    """The space's disk fills while a node posts its result: SQLite refuses
    the commit, the request fails, nothing half-written remains; once there
    is room again the node's retry goes through and the job completes."""
    dep = deployment
    dep.space.stop()
    # The space again, with SQLite's page budget capped just above its size:
    # its next growth fails with SQLITE_FULL ("database or disk is full").
    db = sqlite3.connect(dep.db_path)
    pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    db.close()
    full = Proc(
        tmp_path / "space-full.log",
        "serve",
        "--workdir",
        str(dep.db_path.parent.parent),
        "--port",
        str(dep.port),
        "--lease-seconds",
        "4",
        env={**dep.env, "TSPACE_SQLITE_MAX_PAGES": str(pages + 8)},
    )
    try:
        wait_healthy(dep.url)
        before = consistent(dep)
        client = dep.underwrite()
        deadline = time.monotonic() + 60
        while "database or disk is full" not in full.text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "database or disk is full" in full.text()
        assert consistent(dep) >= before
    finally:
        full.stop()
    dep.space.restart()  # room again
    wait_healthy(dep.url)
    assert client.proc.wait(timeout=180) == 0, client.text()
    assert (dep.root / "scores.csv").read_bytes() == expected
    assert consistent(dep) > before


# After the default suite's tests: the module's deployment is then rebuilt
# once, under gm.
@pytest.mark.parametrize("shared", ["gm"], indirect=True)
@pytest.mark.parametrize(("victim", "moment"), GM_CASES, ids=[f"{v}-{m}" for v, m in GM_CASES])
def test_kill_9_at_each_step_under_gm(
    deployment: Deployment, expected: bytes, victim: str, moment: str
) -> None:
    """The scores are those of the embedded run under the default suite: the
    suite changes hashes, signatures and seals, never a computed value."""
    assert space_suite(deployment) == "gm"
    kill_at(deployment, expected, victim, moment)


def _world(root: Path, **env: str) -> World:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return World(root, "default")


def test_a_slow_node_past_its_lease(tmp_path: Path) -> None:
    """The hospital's first attempt outlives its lease; the task is handed out
    again; both attempts post. The job completes once, correctly."""
    w = _world(tmp_path, TSPACE_LEASE_SECONDS="0.3")
    held = w.hospital.store.subject_ids("hospital")[:3]
    job = w.insurer.submit_lookup(
        "underwriting_score",
        held,
        as_of=AS_OF,
        purpose="underwriting",
        providers={"hospital": ["hospital"], "cdc": ["cdc"]},
        model_document=w.model,
    )
    first = next(t for t in w.space.pull_tasks("hospital") if t.job_id == job)
    slow = w.hospital._signed(first, w.hospital.handle(first))
    time.sleep(0.5)  # the lease runs out while the slow attempt computes
    again = next(t for t in w.space.pull_tasks("hospital") if t.job_id == job)
    assert again.task_id == first.task_id and again.attempt == first.attempt + 1
    w.space.complete_task("hospital", slow)  # the late result is still the task's result
    w.space.complete_task("hospital", w.hospital._signed(again, w.hospital.handle(again)))
    for _ in range(6):
        w.space.run_pending_work()
        for node in (w.hospital, w.cdc, w.insurer):
            node.run_pending()
    assert w.space.job_status("insurer", job).state == "succeeded"
    assert w.insurer.has_result(job)
    results = [e for e in w.space.ledger.entries(job) if e.details.get("task_id") == first.task_id]
    assert [e.kind for e in results] == ["task_result"], "one result recorded for the task"
    assert w.space.ledger.verify() > 0


def test_a_job_whose_consumer_never_returns_expires(tmp_path: Path) -> None:
    w = _world(tmp_path, TSPACE_JOB_TIMEOUT_SECONDS="1")
    assert w.space.job_status("insurer", w.open_job).state in ("queued", "running")
    time.sleep(1.2)
    w.space.run_pending_work()
    status = w.space.job_status("insurer", w.open_job)
    assert status.state == "failed" and "no progress" in status.reasons[0]
    assert w.space.job_status("insurer", w.done_job).state == "succeeded"
    pending = w.space.store.db.execute(
        "SELECT count(*) FROM tasks WHERE job_id = ? AND state IN ('pending', 'leased')",
        (w.open_job,),
    ).fetchone()[0]
    assert pending == 0
    assert [e.kind for e in w.space.ledger.entries(w.open_job)][-1] == "job_failed"


def test_a_restarted_space_gives_every_job_its_full_time_again(tmp_path: Path) -> None:
    """The time a space was down is no job's lack of progress: after a
    restart, a job expires only once the timeout has passed again."""
    w = _world(tmp_path, TSPACE_JOB_TIMEOUT_SECONDS="1")
    time.sleep(1.2)  # the job's last progress is now older than the timeout
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TSPACE_JOB_TIMEOUT_SECONDS", "1")
        space = create_app(ServiceSettings(workdir=tmp_path / "svc", suite="default")).state.space
    space.run_pending_work()
    assert space.job_status("insurer", w.open_job).state in ("queued", "running")
    time.sleep(1.2)
    space.run_pending_work()
    status = space.job_status("insurer", w.open_job)
    assert status.state == "failed" and "no progress" in status.reasons[0]
