"""Claims and lending across two spaces, each a real ``tspace serve`` with
its own nodes on 127.0.0.1 (issue 26): the insurer and the bank at city A,
with one trading centre; the hospital group and the other trading centre at
city B. A claims job whose hospital group is at B, and a lend job with one
centre in each space, each write the same file as one space holding every
provider (the embedded run), which equals the plaintext reference. Each
space's stewards publish the policy for their own owners: the lending
policy's owner at A is centre_a, at B centre_b."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from products.claims.reference import reference_claims
from products.claims.runner import run_claims
from products.lending.reference import reference_features
from products.lending.runner import run_lending
from tests.cli_runner import run_tspace_wide as tspace
from tests.policy_docs import dated, write_policy
from tests.service.procs import ServiceDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.space.readonly import ledger_entries, space_public_key
from trusted_space.synth import generate_claims, generate_health, generate_tenders

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 10, 31)
PRODUCTS = ("claim_verification", "tender_lending_features")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("products")
    generate_health(800, 8, out, applicants=10, end_date=AS_OF)
    generate_claims(out / "hospital_visits.csv", out / "claims.csv", 60, 8)
    generate_tenders(300, 5, out / "tenders", applicants=30, end_date=AS_OF)
    policies = out / "policies"
    policies.mkdir()
    write_policy(
        policies, "claims", dated("claim_verification.hospital.yaml", consent_required=False)
    )
    for owner in ("centre_a", "centre_b"):
        doc = dated("tender_lending_features.centres.yaml", owners=[owner])
        write_policy(policies, owner, doc)
    lending = dated("tender_lending_features.centres.yaml")  # both owners: one space
    write_policy(policies, "centres", lending)
    return out


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("federation-products")
    tenders = data / "tenders"
    deps: dict[str, ServiceDeployment] = {}
    try:
        (root / "a").mkdir()
        deps["a"] = ServiceDeployment(
            root / "a", {"centre_a": [f"ocds:{tenders}/centre_a"]}, ["insurer", "bank"]
        )
        (root / "b").mkdir()
        deps["b"] = ServiceDeployment(
            root / "b",
            {
                "hospital": [f"{data}/hospital_visits.csv"],
                "centre_b": [f"ocds:{tenders}/centre_b"],
            },
            [],
        )
        a, b = deps["a"], deps["b"]
        a.steward("publish-policy", str(data / "policies" / "centre_a.yaml"))
        b.steward("publish-policy", str(data / "policies" / "centre_b.yaml"))
        b.steward("publish-policy", str(data / "policies" / "claims.yaml"))
        keys = {n: space_public_key(d.root / "space").hex() for n, d in deps.items()}
        agreement = root / "agreement.json"
        products = [x for p in PRODUCTS for x in ("--product", p)]
        done = tspace(
            "admin", "draft-agreement", "--workdir", str(a.root / "space"),
            "--peer-key", keys["b"], *products, "--steward", "steward",
            "--peer-steward", "steward", "--out", str(agreement),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        for dep in (a, b):
            dep.steward("approve-agreement", str(agreement))
        for here, name, there in ((a, "city-b", "b"), (b, "city-a", "a")):
            added = tspace(
                "admin", "add-peer", name, "--url", deps[there].url,
                "--signing-key", keys[there], "--agreement", str(agreement),
                "--workdir", str(here.root / "space"),
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
        checked = tspace("admin", "check-peer", "city-b", "--workdir", str(a.root / "space"))
        assert checked.returncode == 0, checked.stderr
        yield {"a": a, "b": b, "keys": keys}
    finally:
        for dep in deps.values():
            dep.stop()


def _accepted(a: ServiceDeployment, product: str) -> list[str]:
    """The peers that accepted a part of A's jobs of ``product``."""
    jobs = {str(r[0]) for r in a.db_rows(f"SELECT job_id FROM jobs WHERE product = '{product}'")}
    return [
        str(e["details"]["peer"])
        for e in ledger_entries(a.root / "space")
        if e["kind"] == "peer_part_accepted" and e["job_id"] in jobs
    ]


def test_claims_with_the_hospital_group_at_a_peer(
    cities: dict[str, Any], data: Path, tmp_path: Path
) -> None:
    policy = data / "policies" / "claims.yaml"
    embedded = run_claims(
        workdir=tmp_path / "embedded",
        hospital=[data / "hospital_visits.csv"],
        claims=data / "claims.csv",
        as_of=AS_OF,
        out=tmp_path / "embedded.csv",
        policies=[policy],
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    doc = yaml.safe_load(policy.read_text(encoding="utf-8"))
    reference = reference_claims(
        hospital=[data / "hospital_visits.csv"],
        claims=data / "claims.csv",
        as_of=AS_OF,
        outputs=embedded.outputs,
        tolerance=doc["output"]["parameters"]["date_tolerance_days"],
        transforms=doc["output"]["transforms"],
    )
    outputs = list(embedded.outputs)
    assert [r.cells(outputs) for r in embedded.rows] == [r.cells(outputs) for r in reference]
    assert {"verified", "mismatch", "not_found"} <= {r.status for r in embedded.rows}

    a: ServiceDeployment = cities["a"]
    client = a.client(
        "insurer", "claims", "--claims", str(data / "claims.csv"),
        "--as-of", AS_OF.isoformat(), "--allow-future",
        "--out", str(tmp_path / "federated.csv"), "--outputs", ",".join(outputs),
    )  # fmt: skip
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (tmp_path / "federated.csv").read_bytes() == (tmp_path / "embedded.csv").read_bytes()
    assert _accepted(a, "claim_verification") == ["city-b"]


def test_lending_with_a_trading_centre_in_each_space(
    cities: dict[str, Any], data: Path, tmp_path: Path
) -> None:
    tenders = data / "tenders"
    centres = [tenders / "centre_a", tenders / "centre_b"]
    embedded = run_lending(
        workdir=tmp_path / "embedded",
        tenders=centres,
        applicants=tenders / "bank_applicants.csv",
        as_of=AS_OF,
        out=tmp_path / "embedded.csv",
        policies=[data / "policies" / "centres.yaml"],
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    doc = yaml.safe_load((data / "policies" / "centres.yaml").read_text(encoding="utf-8"))
    reference = reference_features(
        centres=centres,
        applicants=tenders / "bank_applicants.csv",
        as_of=AS_OF,
        features=embedded.features,
        transforms=doc["output"]["transforms"],
    )
    assert [(r.company_ref, r.status, r.values) for r in embedded.rows] == [
        (r.company_ref, r.status, r.values) for r in reference
    ]
    assert sum(r.status == "found" for r in embedded.rows) > 10

    a: ServiceDeployment = cities["a"]
    client = a.client(
        "bank", "lend", "--applicants", str(tenders / "bank_applicants.csv"),
        "--purpose", "credit", "--as-of", AS_OF.isoformat(),
        "--out", str(tmp_path / "federated.csv"), "--features", ",".join(embedded.features),
    )  # fmt: skip
    assert client.proc.wait(timeout=300) == 0, client.text()
    assert (tmp_path / "federated.csv").read_bytes() == (tmp_path / "embedded.csv").read_bytes()
    assert _accepted(a, "tender_lending_features") == ["city-b"]
    # B's ledger names its own centre's dataset only; A's both (B's as B offered it).
    for city, centre in (("a", {"centre_a", "centre_b"}), ("b", {"centre_b"})):
        submitted = [
            e["details"]["dataset_versions"]
            for e in ledger_entries(cities[city].root / "space")
            if e["kind"] == "job_submitted" and e["details"]["product"] == "tender_lending_features"
        ]
        assert submitted and all(set(v) == centre for v in submitted), submitted
    folders = [x for c in ("a", "b") for x in ("--workdir", str(cities[c].root / "space"))]
    verified = tspace("ledger", "verify", *folders)
    assert verified.returncode == 0, verified.stderr
    assert "Cross-references between the ledgers hold" in verified.stdout
