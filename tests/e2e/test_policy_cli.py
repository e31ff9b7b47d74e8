"""``tspace policy``: the acceptance interfaces, as a steward calls them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from products.score_model import ScoreModel
from tests.cli_runner import run_tspace
from trusted_space.demo import default_model_path

ROOT = Path(__file__).resolve().parents[2]
HOSPITAL = ROOT / "policies" / "examples" / "underwriting_score.hospital.yaml"
CDC = ROOT / "policies" / "examples" / "underwriting_score.cdc.yaml"


def tspace(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tspace(*args)


def test_validate_exit_codes_and_every_error_with_its_path(tmp_path: Path) -> None:
    assert tspace("policy", "validate", str(HOSPITAL), str(CDC)).returncode == 0
    doc = yaml.safe_load(HOSPITAL.read_text("utf-8"))
    doc["limits"]["batch"]["max"] = "many"
    doc["unexpected"] = 1
    doc["output"]["features"] = ["visits_12m", "shoe_size"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = tspace("policy", "validate", str(bad))
    assert result.returncode == 1
    assert "limits.batch.max" in result.stderr and "unexpected" in result.stderr


def explain(*extra: str) -> tuple[int, dict[str, object]]:
    result = tspace(
        "policy",
        "explain",
        "--policy",
        str(HOSPITAL),
        "--policy",
        str(CDC),
        "--product",
        "underwriting_score",
        "--model",
        str(default_model_path()),
        "--as-of",
        "2026-06-01",
        "--json",
        *extra,
    )
    return result.returncode, json.loads(result.stdout)


def test_explain_allows_and_denies_with_reasons_as_json() -> None:
    code, allowed = explain(
        "--consumer", "insurer", "--purpose", "underwriting", "--batch-size", "500"
    )
    assert code == 0 and allowed["decision"] == "allow"
    code, denied = explain("--consumer", "bank", "--purpose", "credit", "--batch-size", "9000")
    assert code == 1 and denied["decision"] == "deny"
    reasons = denied["reasons"]
    assert isinstance(reasons, list)
    assert {r["constraint"] for r in reasons} >= {"consumer", "purpose", "batch_size"}
    assert all(set(r) == {"constraint", "detail", "detail_zh"} for r in reasons)


def test_explain_says_which_engine_and_why_in_both_languages() -> None:
    code, allowed = explain(
        "--consumer", "insurer", "--purpose", "underwriting", "--batch-size", "500"
    )
    assert code == 0 and allowed["engine"] == "blind_lookup"
    choice = allowed["engine_choice"]
    assert isinstance(choice, dict)
    assert choice["engine"] == "blind_lookup"
    assert choice["required_by"] == ["cdc-underwriting", "hospital-underwriting"]
    assert "require the blind lookup" in choice["why_en"] and "要求盲查" in choice["why_zh"]
    # A direct job is denied, with the reason in English and in Chinese.
    code, direct = explain(
        "--consumer", "insurer", "--purpose", "underwriting", "--batch-size", "500",
        "--engine", "direct_lookup",
    )  # fmt: skip
    assert code == 1 and direct["engine"] == "direct_lookup"
    reasons = direct["reasons"]
    assert isinstance(reasons, list) and {r["constraint"] for r in reasons} == {"lookup"}
    assert all("requires the blind lookup" in r["detail"] for r in reasons)
    assert all("本策略要求盲查" in r["detail_zh"] for r in reasons)
    args = [
        "policy", "explain", "--policy", str(HOSPITAL), "--policy", str(CDC),
        "--product", "underwriting_score", "--model", str(default_model_path()),
        "--as-of", "2026-06-01", "--consumer", "insurer", "--purpose", "underwriting",
        "--batch-size", "500",
    ]  # fmt: skip
    english = tspace(*args)
    assert english.returncode == 0
    assert "engine: blind_lookup (cdc-underwriting, hospital-underwriting require" in english.stdout
    chinese = run_tspace(*args, "--engine", "direct_lookup", lang="zh-CN")
    assert chinese.returncode == 1
    assert "引擎：direct_lookup" in chinese.stdout and "本策略要求盲查" in chinese.stdout


def test_explain_with_a_changed_model(tmp_path: Path) -> None:
    changed = tmp_path / "model.json"
    changed.write_bytes(default_model_path().read_bytes().replace(b"0.08", b"0.09"))
    assert ScoreModel.load(changed).sha256() != ScoreModel.load(default_model_path()).sha256()
    result = tspace(
        "policy",
        "explain",
        "--policy",
        str(HOSPITAL),
        "--policy",
        str(CDC),
        "--consumer",
        "insurer",
        "--product",
        "underwriting_score",
        "--purpose",
        "underwriting",
        "--batch-size",
        "100",
        "--model",
        str(changed),
        "--as-of",
        "2026-06-01",
        "--json",
    )
    assert json.loads(result.stdout)["reasons"][0]["constraint"] == "model"


def test_export_odrl_and_init() -> None:
    result = tspace("policy", "export-odrl", str(HOSPITAL))
    assert result.returncode == 0
    assert json.loads(result.stdout)["@type"] == "Offer"
    init = tspace("policy", "init", "underwriting_score")
    assert init.returncode == 0 and init.stdout.lstrip().startswith("#")
    assert yaml.safe_load(init.stdout)["product"] == "underwriting_score"
    assert tspace("policy", "init", "no_such_product").returncode == 2


def test_publish_retire_and_list_on_an_embedded_space(tmp_path: Path) -> None:
    assert tspace("policy", "publish", str(HOSPITAL), "--workdir", str(tmp_path)).returncode == 0
    assert (
        tspace("policy", "retire", "hospital-underwriting", "--workdir", str(tmp_path)).returncode
        == 0
    )
    listing = tspace("policy", "list", "--workdir", str(tmp_path))
    assert "hospital-underwriting" in listing.stdout and "retired" in listing.stdout
    again = tspace("policy", "retire", "hospital-underwriting", "--workdir", str(tmp_path))
    assert again.returncode == 2


def test_validate_reports_schema_and_product_errors_in_one_pass(tmp_path: Path) -> None:
    doc = yaml.safe_load(HOSPITAL.read_text("utf-8"))
    doc["limits"]["batch"]["max"] = "many"  # a schema error
    doc["columns"]["hospital_visits.visit_dt"] = "never"  # a product error
    doc["output"]["features"] = ["visits_12m", "shoe_size"]  # another
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = tspace("policy", "validate", str(bad))
    assert result.returncode == 1
    assert "limits.batch.max" in result.stderr
    assert "columns.hospital_visits.visit_dt" in result.stderr
    assert "shoe_size" in result.stderr
    assert "3 errors" in result.stderr


def test_validate_warns_of_participants_the_space_does_not_know(tmp_path: Path) -> None:
    from trusted_space.embedded import EmbeddedDeployment

    with EmbeddedDeployment(tmp_path / "space") as deployment:
        deployment.provider("hospital")
        deployment.consumer("insurer")
    doc = yaml.safe_load(HOSPITAL.read_text("utf-8"))
    doc["consumers"] = ["insurre"]
    typo = tmp_path / "typo.yaml"
    typo.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = tspace("policy", "validate", str(typo), "--workdir", str(tmp_path / "space"))
    assert result.returncode == 0, result.stderr
    assert "warning: consumers: 'insurre'" in result.stderr
    assert "did you mean 'insurer'" in result.stderr
    clean = tspace("policy", "validate", str(HOSPITAL), "--workdir", str(tmp_path / "space"))
    assert clean.returncode == 0 and "warning" not in clean.stderr
    # Everything in one pass: a schema error does not hide the typo (issue 24 item 12).
    doc["limits"]["batch"]["max"] = "many"
    doc["owners"] = ["hosptal"]
    typo.write_text(yaml.safe_dump(doc), encoding="utf-8")
    both = tspace("policy", "validate", str(typo), "--workdir", str(tmp_path / "space"))
    assert both.returncode == 1, both.stderr
    assert "limits.batch.max" in both.stderr
    assert "warning: owners: 'hosptal'" in both.stderr and "did you mean 'hospital'" in both.stderr
    assert "warning: consumers: 'insurre'" in both.stderr


def test_init_takes_the_owner() -> None:
    cdc = yaml.safe_load(tspace("policy", "init", "underwriting_score", "--owner", "cdc").stdout)
    assert cdc["owners"] == ["cdc"] and cdc["id"] == "cdc-underwriting"
    mine = tspace("policy", "init", "cohort_statistics", "--owner", "city_clinic")
    doc = yaml.safe_load(mine.stdout)
    assert doc["owners"] == ["city_clinic"] and doc["id"] == "city_clinic-cohorts"
    assert tspace("policy", "init", "underwriting_score", "--owner", "Bad Name").returncode == 2


def test_explain_a_claims_job_names_the_tolerance_and_the_consent() -> None:
    claims = ROOT / "policies" / "examples" / "claim_verification.hospital.yaml"
    common = [
        "policy",
        "explain",
        "--policy",
        str(claims),
        "--consumer",
        "insurer",
        "--product",
        "claim_verification",
        "--purpose",
        "claims",
        "--batch-size",
        "200",
        "--as-of",
        "2026-06-01",
        "--features",
        "visit_found,within_bill,dx_match,billed_total",
    ]
    allowed = tspace(*common, "--consent-ref", "EV-CLAIMS-1")
    assert allowed.returncode == 0, allowed.stderr
    assert "[parameters] hospital-claims v1: date_tolerance_days = 1, set by the policy" in (
        allowed.stdout
    )
    denied = tspace(*common, "--json")
    assert denied.returncode == 1
    decision = json.loads(denied.stdout)
    assert decision["decision"] == "deny"
    assert [r["constraint"] for r in decision["reasons"]] == ["consent"]
    assert tspace("policy", "validate", str(claims)).returncode == 0
    odrl = json.loads(tspace("policy", "export-odrl", str(claims)).stdout)
    output = odrl["permission"][0]["tspace:output"]
    assert output["tspace:parameters"] == {"date_tolerance_days": 1}
    assert output["tspace:transforms"]["billed_total"] == {
        "tspace:buckets": [0, 1000, 5000, 10000, 50000, 100000]
    }
