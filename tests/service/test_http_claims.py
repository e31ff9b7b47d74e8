"""Fast claims over HTTP: the space, a hospital node and the insurer's client
as separate processes (the node pulls its work: outbound calls only);
result.csv must equal the embedded ``tspace claims`` byte for byte, and the
space's files must hold no canary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from connectors.identifiers import resident_id_check_char
from products.claims.runner import run_claims
from tests.leakcheck import find_canaries, find_in_text
from tests.policy_docs import dated
from tests.service.procs import ServiceDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_claims, generate_health

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 10, 31)
CANARY = "65010219550505555"
CANARY += resident_id_check_char(CANARY)
CANARY_VISIT, CANARY_COST, CANARY_CLAIMED = "CANARY-VISIT-0009", "76543.21", "65432.10"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("claims")
    generate_health(1500, 8, out, applicants=10, end_date=AS_OF)
    with (out / "hospital_visits.csv").open("a", encoding="utf-8") as fh:
        fh.write(
            f"{CANARY},{CANARY_VISIT},H310104001,2026-08-01,inpatient,2026-08-04,"
            f"E11.9,{CANARY_COST}\n"
        )
    generate_claims(out / "hospital_visits.csv", out / "claims.csv", 80, 8)
    with (out / "claims.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"CANARY-CLAIM,{CANARY},H310104001,2026-08-01,,{CANARY_CLAIMED},E11\n")
    doc = dated("claim_verification.hospital.yaml", consent_required=False)
    (out / "policy.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return out


@pytest.fixture()
def deployment(tmp_path: Path, data: Path, suite: str) -> Iterator[ServiceDeployment]:
    dep = ServiceDeployment(
        tmp_path, {"hospital": [f"{data}/hospital_visits.csv"]}, ["insurer"], suite=suite
    )
    dep.steward("publish-policy", str(data / "policy.yaml"))
    yield dep
    dep.stop()


def test_claims_over_http_equal_the_embedded_run(
    deployment: ServiceDeployment, data: Path, tmp_path: Path, suite: str
) -> None:
    embedded = run_claims(
        workdir=tmp_path / "embedded",
        hospital=[data / "hospital_visits.csv"],
        claims=data / "claims.csv",
        as_of=AS_OF,
        out=tmp_path / "embedded.csv",
        policies=[data / "policy.yaml"],
        suite=suite,
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    client = deployment.client(
        "insurer",
        "claims",
        "--claims",
        str(data / "claims.csv"),
        "--as-of",
        AS_OF.isoformat(),
        "--allow-future",
        "--out",
        str(tmp_path / "http.csv"),
        "--outputs",
        ",".join(embedded.outputs),
    )
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (tmp_path / "http.csv").read_bytes() == (tmp_path / "embedded.csv").read_bytes()
    statuses = {r.status for r in embedded.rows}
    assert {"verified", "mismatch", "not_found", "invalid"} <= statuses
    canary = next(r for r in embedded.rows if r.claim_ref == "CANARY-CLAIM")
    assert canary.status == "verified" and canary.values["billed_total"] == 50000
    needles = [CANARY, CANARY_VISIT, CANARY_COST, CANARY_CLAIMED, "6543210"]
    assert find_canaries(tmp_path / "space", needles) == []
    log = deployment.space.text().splitlines()
    assert log and find_in_text(log, needles) == []
    assert find_canaries(tmp_path / "nodes" / "hospital", [CANARY]) != []
