"""The underwriting story over HTTP with real processes on 127.0.0.1: the
space, two provider nodes and the insurer's client, each its own process.

One run goes straight through; one kills a provider node (kill -9) while it
computes features and starts it again; one kills the space in the middle of
a job and starts it again. Every run must write the same scores.csv as the
embedded ``tspace underwrite`` under the same policies.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from products.underwriting.runner import run_underwriting
from tests.leakcheck import find_in_text
from tests.policy_docs import dated_example, write_policy
from tests.service.procs import Proc, ServiceDeployment, wait_healthy
from trusted_space.demo import default_model_path
from trusted_space.synth import generate_health

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("http-data")
    generate_health(3000, 33, out, applicants=300, end_date=AS_OF)
    policies = out / "policies"
    policies.mkdir()
    write_policy(policies, "hospital", dated_example("hospital"))
    write_policy(policies, "cdc", dated_example("cdc"))
    return out


@pytest.fixture(scope="module")
def expected(data: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """scores.csv of the embedded run under the same policies."""
    work = tmp_path_factory.mktemp("embedded")
    run_underwriting(
        workdir=work,
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        applicants=data / "applicants.csv",
        model=default_model_path(),
        as_of=AS_OF,
        out=work / "scores.csv",
        policies=sorted((data / "policies").glob("*.yaml")),
    )
    return (work / "scores.csv").read_bytes()


class Deployment(ServiceDeployment):
    def __init__(self, root: Path, data: Path, suite: str = "default") -> None:
        super().__init__(
            root,
            {
                "hospital": [f"{data}/hospital_visits.csv"],
                "cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"],
            },
            ["insurer"],
            suite=suite,
        )
        self.data = data
        self.hospital = self.nodes["hospital"]
        self.cdc = self.nodes["cdc"]
        self.steward("publish-model", str(default_model_path()))
        self.steward("publish-policy", *map(str, sorted((data / "policies").glob("*.yaml"))))

    def underwrite(self) -> Proc:
        return self.client(
            "insurer",
            "underwrite",
            "--applicants",
            str(self.data / "applicants.csv"),
            "--purpose",
            "underwriting",
            "--as-of",
            AS_OF.isoformat(),
            "--out",
            str(self.root / "scores.csv"),
        )


@pytest.fixture()
def deployment(tmp_path: Path, data: Path, suite: str) -> Iterator[Deployment]:
    dep = Deployment(tmp_path, data, suite)
    yield dep
    dep.stop()


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
    deployment.wait_for(LEASED_FEATURES)
    deployment.hospital.kill9()
    deployment.hospital.restart()
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (deployment.root / "scores.csv").read_bytes() == expected
    attempts = deployment.db_rows(
        "SELECT attempt FROM tasks WHERE node = 'hospital' AND kind = 'compute_features'"
    )
    assert attempts and attempts[0][0] >= 2, "the killed step was offered again"


def test_the_space_restarted_mid_job_carries_on(deployment: Deployment, expected: bytes) -> None:
    client = deployment.underwrite()
    deployment.wait_for(LEASED_FEATURES)
    deployment.space.kill9()
    time.sleep(1.0)
    deployment.space.restart()
    wait_healthy(deployment.url)
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (deployment.root / "scores.csv").read_bytes() == expected
    states = deployment.db_rows("SELECT state FROM jobs")
    assert states == [("succeeded",)]
