"""Bank lending over HTTP: two trading-centre nodes and the bank's client as
separate processes; features.csv must equal the embedded ``tspace lend``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from products.lending.runner import run_lending
from tests.policy_docs import dated
from tests.service.procs import ServiceDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_tenders

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tenders")
    generate_tenders(300, 5, out, applicants=30, end_date=AS_OF)
    doc = dated("tender_lending_features.centres.yaml")
    (out / "policy.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return out


@pytest.fixture()
def deployment(tmp_path: Path, data: Path, suite: str) -> Iterator[ServiceDeployment]:
    dep = ServiceDeployment(
        tmp_path,
        {"centre_a": [f"ocds:{data}/centre_a"], "centre_b": [f"ocds:{data}/centre_b"]},
        ["bank"],
        suite=suite,
    )
    dep.steward("publish-policy", str(data / "policy.yaml"))
    yield dep
    dep.stop()


def test_lending_over_http_equals_the_embedded_run(
    deployment: ServiceDeployment, data: Path, tmp_path: Path, suite: str
) -> None:
    embedded = run_lending(
        workdir=tmp_path / "embedded",
        tenders=[data / "centre_a", data / "centre_b"],
        applicants=data / "bank_applicants.csv",
        as_of=AS_OF,
        out=tmp_path / "embedded.csv",
        policies=[data / "policy.yaml"],
        suite=suite,
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    client = deployment.client(
        "bank",
        "lend",
        "--applicants",
        str(data / "bank_applicants.csv"),
        "--purpose",
        "credit",
        "--as-of",
        AS_OF.isoformat(),
        "--out",
        str(tmp_path / "http.csv"),
        "--features",
        ",".join(embedded.features),
    )
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (tmp_path / "http.csv").read_bytes() == (tmp_path / "embedded.csv").read_bytes()
    assert sum(r.status == "found" for r in embedded.rows) > 10
