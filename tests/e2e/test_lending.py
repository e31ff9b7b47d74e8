"""Bid-history features for a bank, two trading centres, on generated data.

The private features must equal an independent plaintext DuckDB computation
on the same OCDS files (two-centre sums, the win rate, grid-rounded extremes
for companies both centres hold), and a planted canary company's code and
amount must appear nowhere in the space's storage.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.identifiers import USCC_CHARSET, uscc_check_char
from products.lending.reference import reference_features
from products.lending.runner import FeatureRow, run_lending
from tests.leakcheck import find_canaries
from trusted_space.core.errors import PolicyDenied
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_tenders

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 10, 31)
CANARY_BODY = "91310115MACANARYT"
assert all(c in USCC_CHARSET for c in CANARY_BODY)
CANARY = CANARY_BODY + uscc_check_char(CANARY_BODY)
CANARY_AMOUNT = "8765432.19"


def plant_canary(centre: Path, applicants: Path) -> None:
    """One extra release in which the canary company wins, and the bank asks about it."""
    release = {
        "ocid": "ocds-canary-0001",
        "id": "ocds-canary-0001-01",
        "date": "2026-09-01T10:00:00+08:00",
        "tag": ["tender", "award"],
        "buyer": {"id": "B1", "name": "上海市测试局"},
        "parties": [
            {
                "id": "B1",
                "name": "上海市测试局",
                "roles": ["buyer"],
                "identifier": {
                    "scheme": "CN-USCC",
                    "id": "11310000000000000" + uscc_check_char("11310000000000000"),
                },
            },
            {
                "id": "C1",
                "name": "金丝雀科技有限公司",
                "roles": ["tenderer", "supplier"],
                "identifier": {"scheme": "CN-USCC", "id": CANARY},
            },
        ],
        "tender": {
            "id": "T1",
            "tenderPeriod": {"startDate": "2026-08-01T09:00:00+08:00"},
            "tenderers": [{"id": "C1", "name": "金丝雀科技有限公司"}],
        },
        "awards": [
            {
                "id": "A1",
                "date": "2026-09-01T10:00:00+08:00",
                "status": "active",
                "value": {"amount": float(CANARY_AMOUNT), "currency": "CNY"},
                "suppliers": [{"id": "C1", "name": "金丝雀科技有限公司"}],
            }
        ],
    }
    package = {
        "uri": "canary",
        "version": "1.1",
        "publishedDate": "2026-10-31T00:00:00+08:00",
        "releases": [release],
    }
    (centre / "canary.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    with applicants.open("a", encoding="utf-8") as fh:
        fh.write(f"CANARY-LOAN,{CANARY}\n")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tenders")
    # 600 companies: the bank's 120 applicants are the same mix as at 1,500
    # (91 found, 28 of them at both centres, 29 not found, 1 invalid id) at
    # half the load of both centres, run under each suite.
    generate_tenders(600, 17, out, applicants=120, end_date=AS_OF)
    plant_canary(out / "centre_a", out / "bank_applicants.csv")
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Half of ``data``, for the policy checks: what they test does not
    grow with the centres' size, and each run loads both centres again."""
    out = tmp_path_factory.mktemp("tenders-small")
    generate_tenders(300, 17, out, applicants=40, end_date=AS_OF)
    return out


def centres(data: Path) -> list[Path]:
    return [data / "centre_a", data / "centre_b"]


def lend(data: Path, workdir: Path, **kw: Any):  # type: ignore[no-untyped-def]
    return run_lending(
        workdir=workdir,
        tenders=centres(data),
        applicants=data / "bank_applicants.csv",
        as_of=AS_OF,
        out=workdir / "features.csv",
        paillier_preset=TEST_ONLY_PAILLIER_1024,
        **kw,
    )


def assert_same(private: list[FeatureRow], reference: list[FeatureRow]) -> None:
    assert [(r.company_ref, r.status) for r in private] == [
        (r.company_ref, r.status) for r in reference
    ]
    for p, r in zip(private, reference, strict=True):
        assert p.values == r.values, p.company_ref


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, suite: str) -> Path:
    return tmp_path_factory.mktemp(f"lend-{suite}")


@pytest.fixture(scope="module")
def run(data: Path, workdir: Path, suite: str):  # type: ignore[no-untyped-def]
    return lend(data, workdir, suite=suite)


@pytest.fixture(scope="module")
def reference(data: Path) -> list[FeatureRow]:
    """The plaintext features of ``data`` (one computation for both suites)."""
    return reference_features(
        centres=centres(data), applicants=data / "bank_applicants.csv", as_of=AS_OF
    )


@pytest.fixture(scope="module")
def per_centre(data: Path) -> list[list[FeatureRow]]:
    """The plaintext features of each centre of ``data`` alone."""
    return [
        reference_features(centres=[c], applicants=data / "bank_applicants.csv", as_of=AS_OF)
        for c in centres(data)
    ]


def test_features_equal_the_plaintext_reference(run: Any, reference: list[FeatureRow]) -> None:
    assert_same(run.rows, reference)
    statuses = {r.status for r in run.rows}
    assert statuses == {"found", "not_found", "invalid_id"}


def test_two_centre_companies_get_summed_features(
    run: Any, per_centre: list[list[FeatureRow]]
) -> None:
    shared = [ref for ref, n in run.holders.items() if n == 2]
    assert shared, "the batch holds companies both centres know"
    rows = {r.company_ref: r for r in run.rows}
    for ref in shared:
        a, b = (next(r for r in rows_ if r.company_ref == ref) for rows_ in per_centre)
        assert a.status == b.status == "found"
        for feature in ("bids_12m", "wins_12m", "awarded_amount_36m", "distinct_buyers_36m"):
            assert rows[ref].values[feature] == a.values[feature] + b.values[feature], (
                ref,
                feature,
            )


def test_features_csv_keeps_the_batch_order(data: Path, run: Any, workdir: Path) -> None:
    with (data / "bank_applicants.csv").open(encoding="utf-8") as fh:
        refs = [r["company_ref"] for r in csv.DictReader(fh)]
    with (workdir / "features.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["company_ref"] for r in rows] == refs
    assert list(rows[0]) == ["company_ref", "status", *run.features, "detail"]
    invalid = [r for r in rows if r["status"] != "found"]
    assert invalid and all(all(r[f] == "" for f in run.features) for r in invalid)


def test_canary_appears_nowhere_in_the_space(run: Any, workdir: Path) -> None:
    canary = next(r for r in run.rows if r.company_ref == "CANARY-LOAN")
    assert canary.status == "found"
    assert str(canary.values["max_award_36m"]) == CANARY_AMOUNT  # released to the bank only
    assert find_canaries(workdir / "space", [CANARY, CANARY_AMOUNT]) == []
    # The check can fail: the centre's own node holds both.
    assert find_canaries(workdir / "nodes" / "centre_a", [CANARY]) != []


def test_a_policy_limits_features_and_applies_transforms(small: Path, tmp_path: Path) -> None:
    doc = yaml.safe_load(
        (ROOT / "policies" / "examples" / "tender_lending_features.centres.yaml").read_text("utf-8")
    )
    today = dt.date.today()
    doc["valid_from"], doc["valid_until"] = (
        str(today - dt.timedelta(days=1)),
        str(today + dt.timedelta(days=365)),
    )
    doc["output"]["features"] = ["bids_12m", "awarded_amount_36m", "max_award_36m"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = lend(small, tmp_path / "w", policies=[policy])
    assert result.features == ["bids_12m", "awarded_amount_36m", "max_award_36m"]
    with (tmp_path / "w" / "features.csv").open(encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh)) == ["company_ref", "status", *result.features, "detail"]
    reference = reference_features(
        centres=centres(small),
        applicants=small / "bank_applicants.csv",
        as_of=AS_OF,
        features=result.features,
        transforms=doc["output"]["transforms"],
    )
    assert_same(result.rows, reference)
    assert result.duties == {"retention_days": 90}
    doc["consumers"] = ["another-bank"]
    policy.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyDenied):
        lend(small, tmp_path / "denied", policies=[policy])
    assert not (tmp_path / "denied" / "features.csv").exists()


def test_a_job_naming_one_centre_of_the_policy_is_denied(small: Path, tmp_path: Path) -> None:
    """Issue 22, item 4: a bank naming one centre per job would get that
    centre's own figures (its exact minima and maxima). Under a policy of
    both centres, a job must include both: the gate denies it before any
    centre works, naming the missing centre."""
    doc = yaml.safe_load(
        (ROOT / "policies" / "examples" / "tender_lending_features.centres.yaml").read_text("utf-8")
    )
    today = dt.date.today()
    doc["valid_from"], doc["valid_until"] = (
        str(today - dt.timedelta(days=1)),
        str(today + dt.timedelta(days=365)),
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    for alone in centres(small):
        with pytest.raises(PolicyDenied) as denied:
            run_lending(
                workdir=tmp_path / alone.name,
                tenders=[alone],
                applicants=small / "bank_applicants.csv",
                as_of=AS_OF,
                out=tmp_path / alone.name / "features.csv",
                paillier_preset=TEST_ONLY_PAILLIER_1024,
                policies=[policy],
            )
        other = ({"centre_a", "centre_b"} - {alone.name}).pop()
        assert any("all_owners_together" in r and other in r for r in denied.value.reasons)
        assert not (tmp_path / alone.name / "features.csv").exists()
