"""Issue 22, item 2, with real processes: a trading centre's ``tspace node``
outlives any exception in a task, and a task that kills it twice is given up.

Before, one award of 10^8 yuan made DuckDB raise an overflow in the
centre's feature query; the exception was not a TspaceError, so it left
``tspace node`` and the process exited; the restarted node leased the same
task and died again. The overflow is gone (tests/e2e/test_lending_publishers.py);
here a node meets such an exception on purpose (TSPACE_TEST_ONLY_FAIL_ONCE:
an ArithmeticError quoting a value, in its first compute_features task) and
dies on purpose (TSPACE_TEST_ONLY_HOLD_AFTER, then kill -9).

These run under the default crypto suite; the same rules under both suites,
default and gm, in one process: tests/e2e/test_task_failures.py.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.leakcheck import find_canaries, find_in_text, sqlite_text
from tests.policy_docs import dated
from tests.service.procs import Proc, ServiceDeployment, wait_text
from trusted_space.nodes.base import TEST_ONLY_FAIL_ONCE, TEST_ONLY_FAIL_TEXT, TEST_ONLY_HOLD
from trusted_space.synth import generate_tenders

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 10, 31)
SERVING = "is pulling work"
CANARY = "73191.123456789123"  # in TEST_ONLY_FAIL_TEXT
STEP = "compute_features"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tenders")
    generate_tenders(300, 7, out, applicants=20, end_date=AS_OF)
    doc = dated("tender_lending_features.centres.yaml")
    (out / "policy.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Iterator[ServiceDeployment]:
    dep = ServiceDeployment(
        tmp_path_factory.mktemp("survival"),
        {"centre_a": [f"ocds:{data}/centre_a"], "centre_b": [f"ocds:{data}/centre_b"]},
        ["bank"],
    )
    dep.steward("publish-policy", str(data / "policy.yaml"))
    yield dep
    dep.stop()


def restart(dep: ServiceDeployment, name: str, env: dict[str, str]) -> Proc:
    node = dep.nodes[name]
    serving = node.text().count(SERVING)
    node.env = {**dep.env, **env}
    node.restart()
    wait_text(node, SERVING, serving + 1)
    return node


def lend(dep: ServiceDeployment, data: Path, out: Path) -> Proc:
    return dep.client(
        "bank",
        "lend",
        "--applicants",
        str(data / "bank_applicants.csv"),
        "--purpose",
        "credit",
        "--as-of",
        AS_OF.isoformat(),
        "--out",
        str(out),
    )


def jobs(dep: ServiceDeployment) -> set[str]:
    return {str(r[0]) for r in dep.db_rows("SELECT job_id FROM jobs")}


def served(dep: ServiceDeployment, data: Path, out: Path) -> None:
    """The node answers the next job: it succeeds and finds companies."""
    client = lend(dep, data, out)
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert out.read_text(encoding="utf-8-sig").count(",found") > 3


def test_an_exception_in_a_task_fails_it_and_the_node_serves_on(
    deployment: ServiceDeployment, data: Path, tmp_path: Path
) -> None:
    dep = deployment
    assert CANARY in TEST_ONLY_FAIL_TEXT
    node = restart(dep, "centre_a", {TEST_ONLY_FAIL_ONCE: STEP})
    client = lend(dep, data, tmp_path / "failed.csv")
    assert client.proc.wait(timeout=300) != 0
    told = client.text()
    assert f"internal_error (node=centre_a, step={STEP})" in told, told
    assert not (tmp_path / "failed.csv").exists(), "no half-written output"
    assert node.proc.poll() is None, "the node process is still running"
    assert "ArithmeticError (internal_error)" in node.text()
    # the exception's text stayed where it was raised, and not even there in a log
    assert CANARY not in dep.logs()
    space = dep.db_path.parent
    assert not find_canaries(space, [CANARY])
    assert not find_in_text(sqlite_text(dep.db_path), [CANARY])
    served(dep, data, tmp_path / "served.csv")  # the same process, no restart
    assert node.proc.poll() is None


def test_a_task_that_killed_its_node_twice_is_not_offered_a_third_time(
    deployment: ServiceDeployment, data: Path, tmp_path: Path
) -> None:
    dep = deployment
    known = jobs(dep)
    node = restart(dep, "centre_a", {TEST_ONLY_HOLD: STEP})
    held = node.text().count(f"holding after {STEP}")
    client = lend(dep, data, tmp_path / "abandoned.csv")
    wait_text(node, f"holding after {STEP}", held + 1)
    (job,) = jobs(dep) - known
    node.kill9()  # the node dies in the task
    node.restart()  # still dying in it: leases it again when the lease runs out
    wait_text(node, f"holding after {STEP}", held + 2, timeout=120)
    node.kill9()
    node = restart(dep, "centre_a", {})  # a healthy node: the task is not offered again
    assert client.proc.wait(timeout=180) != 0
    told = client.text()
    assert f"task_abandoned (node=centre_a, step={STEP}, leases=2)" in told, told
    db = sqlite3.connect(dep.db_path)
    try:
        state, attempt = db.execute(
            "SELECT state, attempt FROM tasks WHERE job_id = ? AND node = 'centre_a' AND kind = ?",
            (job, STEP),
        ).fetchone()
        (job_state,) = db.execute("SELECT state FROM jobs WHERE job_id = ?", (job,)).fetchone()
    finally:
        db.close()
    assert (state, attempt, job_state) == ("cancelled", 2, "failed")
    served(dep, data, tmp_path / "served.csv")
    assert node.text().count(f"holding after {STEP}") == held + 2, "never a third time"
