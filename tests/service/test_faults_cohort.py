"""Faults in the space-aided join (cohort statistics), over HTTP with real
processes: kill -9 of each provider while it uploads its cohort, of the
requester's client while it unpacks the masked sums and while it answers
the blinded comparisons, and of the space while it joins (held before the
join, which can be shorter than two looks at its tables). Each is restarted;
the job finishes with exactly the cells of an uninterrupted run (DP off, so
cells can be compared byte for byte), every job ends succeeded or failed,
and the ledger verifies. Every kill runs under the default crypto suite;
one of each kind of step again under the national suite (gm: HMAC-SM3 join
tokens, SM2 signatures and seals), on a deployment of its own."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from products.cohort.runner import run_cohort
from tests.policy_docs import exact_cohort_policy
from tests.service.procs import Proc, ServiceDeployment, wait_healthy
from tests.service.test_faults import consistent, settled, space_suite
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.nodes.base import TEST_ONLY_HOLD
from trusted_space.space.jobs import TEST_ONLY_HOLD_STEP
from trusted_space.synth import generate_health

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 10, 31)
QUERY = {
    "hospital": {"cohort": "inpatients", "from": "2024-01-01", "to": "2026-06-30"},
    "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
    "measures": ["count", "sum_cost"],
    "group_by": ["sex"],
    "min_count": 2,
}
HOLD = {"analyst-unpack": "join_unpack", "analyst-threshold": "join_threshold"}
CASES = {
    "hospital-upload": "SELECT 1 FROM tasks WHERE kind = 'join_upload' AND node = 'hospital' "
    "AND state = 'leased'",
    "cdc-upload": "SELECT 1 FROM tasks WHERE kind = 'join_upload' AND node = 'cdc' "
    "AND state = 'leased'",
    "analyst-unpack": "SELECT 1 FROM tasks WHERE kind = 'join_unpack' AND state = 'leased'",
    "analyst-threshold": "SELECT 1 FROM tasks WHERE kind = 'join_threshold' AND state = 'leased'",
    "space-joining": "SELECT 1 FROM jobs WHERE state = 'running' AND step = 'joining'",
}
# Under gm: an upload, both of the requester's steps, and the space's join.
GM_CASES = ["hospital-upload", "analyst-unpack", "analyst-threshold", "space-joining"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cohort-faults")
    generate_health(3000, 9, out, applicants=10, end_date=AS_OF)
    (out / "query.yaml").write_text(yaml.safe_dump(QUERY), encoding="utf-8")
    for name in ("hospital", "cdc"):
        doc = exact_cohort_policy(name, 2)
        (out / f"{name}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def expected(data: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    work = tmp_path_factory.mktemp("cohort-expected")
    run_cohort(
        workdir=work,
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        query=data / "query.yaml",
        out=work / "result.csv",
        policies=[data / "hospital.yaml", data / "cdc.yaml"],
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    return (work / "result.csv").read_bytes()


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, data: Path, request: pytest.FixtureRequest
) -> Iterator[ServiceDeployment]:
    """One deployment per crypto suite for the module (the default one unless
    a test asks for gm): each test leaves every job settled."""
    suite = getattr(request, "param", "default")
    dep = ServiceDeployment(
        tmp_path_factory.mktemp(f"cohort-faults-{suite}"),
        {
            "hospital": [f"{data}/hospital_visits.csv"],
            "cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"],
        },
        ["analyst"],
        # A job left behind by a killed client (its steps done by nobody)
        # expires instead of running forever.
        space_env={"TSPACE_JOB_TIMEOUT_SECONDS": "30"},
        suite=suite,
    )
    dep.steward("publish-policy", str(data / "hospital.yaml"), str(data / "cdc.yaml"))
    yield dep
    dep.stop()


@pytest.fixture()
def deployment(shared: ServiceDeployment) -> ServiceDeployment:
    """The shared deployment with every process up and no output."""
    if shared.space_changed:
        shared.restart_space()
    wait_healthy(shared.url)
    for node in shared.nodes.values():
        if node.proc.poll() is not None:
            node.restart()
    (shared.root / "result.csv").unlink(missing_ok=True)
    return shared


def job_ids(dep: ServiceDeployment) -> set[str]:
    return {str(r[0]) for r in dep.db_rows("SELECT job_id FROM jobs")}


def cohort(dep: ServiceDeployment, data: Path, hold: str | None = None) -> Proc:
    """The analyst's command; with ``hold`` it stops, its task still leased,
    once it has done that step (a short step could otherwise finish between
    two looks at the space's tables, and the kill would come too late)."""
    return dep.client(
        "analyst",
        "cohort",
        "--query",
        str(data / "query.yaml"),
        "--purpose",
        "research",
        "--out",
        str(dep.root / "result.csv"),
        env={TEST_ONLY_HOLD: HOLD[hold]} if hold else None,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_kill_9_during_the_join(
    deployment: ServiceDeployment, data: Path, expected: bytes, case: str
) -> None:
    kill_during_join(deployment, data, expected, case)


@pytest.mark.parametrize("shared", ["gm"], indirect=True)
@pytest.mark.parametrize("case", GM_CASES)
def test_kill_9_during_the_join_under_gm(
    deployment: ServiceDeployment, data: Path, expected: bytes, case: str
) -> None:
    """The cells are those of the embedded run under the default suite: the
    join tokens change with the suite, the rows they match do not."""
    assert space_suite(deployment) == "gm"
    kill_during_join(deployment, data, expected, case)


def kill_during_join(dep: ServiceDeployment, data: Path, expected: bytes, case: str) -> None:
    """Kill the victim of ``case`` at its step, start it again, and check the
    cells, the jobs' states and the ledger."""
    victim = case.split("-")[0]
    if victim == "space":
        # The join can take less time than two looks at the tables: the
        # space holds before it, until the kill.
        dep.restart_space(**{TEST_ONLY_HOLD_STEP: "joining"})
    known = job_ids(dep)  # earlier tests' jobs, all settled
    client = cohort(dep, data, hold=case if victim == "analyst" else None)
    earlier = ", ".join(f"'{j}'" for j in known) or "''"
    dep.wait_for(f"{CASES[case]} AND job_id NOT IN ({earlier})")
    if victim == "space":
        dep.space.kill9()
        time.sleep(0.5)
        dep.space.env = dict(dep.space_env)  # the space starts again without the hold
        dep.space.restart()
        wait_healthy(dep.url)
    elif victim == "analyst":
        client.kill9()
        assert not (dep.root / "result.csv").exists(), "no half-written output"
        client = cohort(dep, data)  # the analyst runs the command again
    else:
        dep.nodes[victim].kill9()
        dep.nodes[victim].restart()
    assert client.proc.wait(timeout=180) == 0, client.text()
    assert (dep.root / "result.csv").read_bytes() == expected
    if victim == "analyst":
        dep.expire_abandoned_jobs()  # the killed client's job
    settled(dep, timeout=60)
    new = job_ids(dep) - known
    states = [s for j, s in dep.db_rows("SELECT job_id, state FROM jobs") if j in new]
    assert "succeeded" in states and set(states) <= {"succeeded", "failed"}, states
    consistent(dep)
