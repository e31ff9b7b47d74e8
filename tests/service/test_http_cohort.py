"""Cohort statistics over HTTP: the hospital and CDC nodes and the requester's
client as separate processes; result.csv must equal the embedded run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from products.cohort.runner import run_cohort
from tests.policy_docs import exact_cohort_policy
from tests.service.procs import ServiceDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 10, 31)
QUERY = {
    "hospital": {"cohort": "inpatients", "from": "2026-01-01", "to": "2026-06-30"},
    "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
    "measures": ["count", "sum_cost", "sum_inpatient_days"],
    "group_by": ["age_band"],
    "min_count": 2,
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("health")
    generate_health(3000, 4, out, applicants=10, end_date=AS_OF)
    (out / "query.yaml").write_text(yaml.safe_dump(QUERY), encoding="utf-8")
    for name in ("hospital", "cdc"):
        doc = exact_cohort_policy(name, 2)
        (out / f"{name}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


@pytest.fixture()
def deployment(tmp_path: Path, data: Path, suite: str) -> Iterator[ServiceDeployment]:
    dep = ServiceDeployment(
        tmp_path,
        {
            "hospital": [f"{data}/hospital_visits.csv"],
            "cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"],
        },
        ["analyst"],
        suite=suite,
    )
    dep.steward("publish-policy", str(data / "hospital.yaml"), str(data / "cdc.yaml"))
    yield dep
    dep.stop()


def test_cohort_over_http_equals_the_embedded_run(
    deployment: ServiceDeployment, data: Path, tmp_path: Path, suite: str
) -> None:
    embedded = run_cohort(
        workdir=tmp_path / "embedded",
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        query=data / "query.yaml",
        out=tmp_path / "embedded.csv",
        policies=[data / "hospital.yaml", data / "cdc.yaml"],
        suite=suite,
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    assert {r["status"] for r in embedded.rows} == {"ok", "suppressed"}
    client = deployment.client(
        "analyst",
        "cohort",
        "--query",
        str(data / "query.yaml"),
        "--purpose",
        "research",
        "--out",
        str(tmp_path / "http.csv"),
    )
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (tmp_path / "http.csv").read_bytes() == (tmp_path / "embedded.csv").read_bytes()
