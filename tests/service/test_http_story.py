"""The underwriting story over HTTP with real processes on 127.0.0.1: the
space, two provider nodes and the insurer's client, each its own process.

One run goes straight through; one kills a provider node (kill -9) while it
computes features and starts it again; one kills the space in the middle of
a job and starts it again. Every run must write the same scores.csv as the
embedded ``tspace underwrite`` under the same policies. The runs are on the
direct lookup (the policies allow it); test_http_blind.py runs the blind one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.leakcheck import find_in_text
from tests.service.procs import wait_healthy
from tests.service.underwriting import Deployment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, data: Path, suite: str
) -> Iterator[Deployment]:
    """One deployment per suite for the module: each test leaves its job settled."""
    dep = Deployment(tmp_path_factory.mktemp("story"), data, suite, policies="policies-direct")
    yield dep
    dep.stop()


@pytest.fixture()
def deployment(shared: Deployment) -> Deployment:
    """The shared deployment with every process up and no output; the jobs
    of earlier tests are recorded so a test looks at its own job only."""
    if shared.space.proc.poll() is not None:
        shared.space.restart()
    wait_healthy(shared.url)
    for node in shared.nodes.values():
        if node.proc.poll() is not None:
            node.restart()
    (shared.root / "scores.csv").unlink(missing_ok=True)
    shared.earlier = {str(r[0]) for r in shared.db_rows("SELECT job_id FROM jobs")}
    return shared


def own(dep: Deployment, sql: str) -> str:
    """``sql`` (over a table with job_id) restricted to this test's jobs."""
    earlier = ", ".join(f"'{j}'" for j in dep.earlier) or "''"
    return f"{sql} AND job_id NOT IN ({earlier})"


LEASED_FEATURES = (
    "SELECT task_id FROM tasks WHERE node = 'hospital' AND kind = 'compute_features' "
    "AND state = 'leased'"
)


def test_underwriting_over_http_equals_the_embedded_run(
    deployment: Deployment, expected: bytes
) -> None:
    client = deployment.underwrite()
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (deployment.root / "scores.csv").read_bytes() == expected
    logs = deployment.logs()
    secrets = [p.read_text().strip() for p in deployment.keys.values()]
    assert find_in_text(logs.splitlines(), secrets) == []
    assert "Traceback" not in logs


def test_a_provider_killed_mid_job_is_restarted_and_the_job_completes(
    deployment: Deployment, expected: bytes
) -> None:
    client = deployment.underwrite()
    deployment.wait_for(own(deployment, LEASED_FEATURES))
    deployment.hospital.kill9()
    deployment.hospital.restart()
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (deployment.root / "scores.csv").read_bytes() == expected
    attempts = deployment.db_rows(
        own(
            deployment,
            "SELECT attempt FROM tasks WHERE node = 'hospital' AND kind = 'compute_features'",
        )
    )
    assert attempts and attempts[0][0] >= 2, "the killed step was offered again"


def test_the_space_restarted_mid_job_carries_on(deployment: Deployment, expected: bytes) -> None:
    client = deployment.underwrite()
    deployment.wait_for(own(deployment, LEASED_FEATURES))
    deployment.space.kill9()
    time.sleep(1.0)
    deployment.space.restart()
    wait_healthy(deployment.url)
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (deployment.root / "scores.csv").read_bytes() == expected
    states = deployment.db_rows(own(deployment, "SELECT state FROM jobs WHERE true"))
    assert states == [("succeeded",)]
