"""The installed ``tspace`` command: help, errors, and the production paths."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from products.lending.reference import FEATURES, reference_features
from products.underwriting.reference import reference_scores
from products.underwriting.runner import ScoreRow
from tests.cli_runner import run_tspace
from trusted_space.demo import compare, default_model_path
from trusted_space.hazmat.paillier import TEST_ONLY_KEYS_ENV
from trusted_space.synth import generate_health

TSPACE = str(Path(sys.executable).parent / "tspace")
COMMANDS = (
    "demo",
    "synth",
    "load",
    "underwrite",
    "lend",
    "policy",
    "ledger",
    "usage",
    "product",
    "consent",
    "serve",
    "node",
    "admin",
    "client",
)


def tspace(
    *args: str, cwd: Path | None = None, test_keys: bool = False
) -> subprocess.CompletedProcess[str]:
    """``tspace --lang en ARGS``; ``test_keys``: with the named 1024-bit test
    preset, for a run whose point is not the production key size."""
    env = {**os.environ, TEST_ONLY_KEYS_ENV: "1"} if test_keys else None
    return subprocess.run(
        [TSPACE, "--lang", "en", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env=env,
    )


def test_help_describes_every_command() -> None:
    result = tspace("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout
    # Each command's help in this process (the same typer application; the
    # process boundary is the call above): 14 processes cost 10 s.
    for command in COMMANDS:
        sub = run_tspace(command, "--help")
        assert sub.returncode == 0 and "Usage" in sub.stdout, command


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-data")
    generate_health(1500, 5, out, applicants=30)
    return out


@pytest.mark.slow
def test_underwrite_with_production_keys_writes_scores_in_order(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    result = tspace(
        "underwrite",
        "--hospital",
        str(data / "hospital_visits.csv"),
        "--cdc-reports",
        str(data / "cdc_case_reports.csv"),
        "--cdc-registry",
        str(data / "cdc_chronic_registry.csv"),
        "--applicants",
        str(data / "applicants.csv"),
        "--model",
        str(default_model_path()),
        "--as-of",
        "2026-10-31",
        "--out",
        str(out),
        "--workdir",
        str(tmp_path / "work"),
    )
    assert result.returncode == 0, result.stderr
    with (data / "applicants.csv").open() as fh:
        refs = [r["applicant_ref"] for r in csv.DictReader(fh)]
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["applicant_ref"] for r in rows] == refs
    assert {r["status"] for r in rows} <= {"scored", "invalid_id"}
    reference = reference_scores(
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
        applicants=data / "applicants.csv",
        as_of=dt.date(2026, 10, 31),
        model=default_model_path(),
    )
    assert compare([_score_row(r) for r in rows], reference) == []
    assert sum(r.status == "scored" for r in reference) >= 20, "most of the batch is scored"
    assert (tmp_path / "work" / "space" / "space.sqlite").exists()
    assert (tmp_path / "work" / "nodes" / "hospital" / "node.duckdb").exists()


def test_bad_input_is_one_clear_line_and_no_output(data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "applicants.csv"
    bad.write_text("applicant_ref,person_id\nA1,11010519491231002X\nA1,11010519491231002X\n")
    out = tmp_path / "scores.csv"
    result = tspace(
        "underwrite",
        "--hospital",
        str(data / "hospital_visits.csv"),
        "--cdc-reports",
        str(data / "cdc_case_reports.csv"),
        "--cdc-registry",
        str(data / "cdc_chronic_registry.csv"),
        "--applicants",
        str(bad),
        "--model",
        str(default_model_path()),
        "--as-of",
        "2026-10-31",
        "--out",
        str(out),
    )
    assert result.returncode == 2
    assert "row 2" in result.stderr and "applicant_ref" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_load_writes_the_quality_report_as_json(tmp_path: Path) -> None:
    f = tmp_path / "reg.csv"
    f.write_text(
        "person_id,condition,registered_date\n"
        "11010519491231002X,diabetes,2020-01-01\n"
        "110101199003074515,diabetes,2020-01-01\n"
    )
    report = tmp_path / "report.json"
    result = tspace(
        "load", "csv", str(f), "--node-dir", str(tmp_path / "node"), "--report", str(report)
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert (data["rows_read"], data["rows_loaded"], data["rows_rejected"]) == (2, 1, 1)
    assert data["rejections"] == [
        {
            "file": str(f),
            "row": 2,
            "field": "person_id",
            "reason": "check character 5 does not match the computed 4",
        }
    ]


def test_synth_is_deterministic_through_the_cli(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert (
            tspace(
                "synth", "--people", "300", "--seed", "9", "--out", str(tmp_path / name)
            ).returncode
            == 0
        )
    for f in ("hospital_visits.csv", "applicants.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def _engines_in_ledger(workdir: Path) -> list[str]:
    import sqlite3

    db = sqlite3.connect(workdir / "space" / "space.sqlite")
    try:
        rows = db.execute("SELECT entry FROM ledger WHERE kind = 'job_submitted'").fetchall()
    finally:
        db.close()
    return [json.loads(r[0])["details"]["engine"] for r in rows]


@pytest.mark.slow
def test_demo_passes_its_own_check(tmp_path: Path) -> None:
    """By default the demo runs blind: no matches per provider are shown (the
    insurer does not learn them), and every score is checked."""
    # The named test keys: the production size is the subject of the
    # *_with_production_keys tests below.
    result = tspace(
        "demo", "--people", "1500", "--applicants", "40", "--workdir", str(tmp_path),
        test_keys=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All 40 scores match the plaintext reference" in result.stdout
    assert "Blind lookup: the insurer learns scores only" in result.stdout
    assert "Matched at" not in result.stdout
    assert "Insurer unblinds" in result.stdout  # the blind steps' times
    assert (tmp_path / "scores.csv").exists()
    assert "claims' answers match the plaintext reference" in result.stdout
    assert (tmp_path / "claims_result.csv").exists()
    assert "blind_lookup" in _engines_in_ledger(tmp_path)


@pytest.mark.slow
def test_demo_on_the_direct_lookup_passes_its_own_check(tmp_path: Path) -> None:
    result = tspace(
        "demo", "--people", "1500", "--applicants", "40", "--workdir", str(tmp_path),
        "--engine", "direct_lookup", test_keys=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All 40 scores match the plaintext reference" in result.stdout
    assert "Matched at hospital" in result.stdout
    assert "direct_lookup" in _engines_in_ledger(tmp_path)
    assert "blind_lookup" not in _engines_in_ledger(tmp_path)


@pytest.mark.slow
def test_lend_with_production_keys_from_synth_output(tmp_path: Path) -> None:
    assert (
        tspace(
            "synth",
            "--people",
            "300",
            "--companies",
            "100",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "d"),
        ).returncode
        == 0
    )
    tenders = tmp_path / "d" / "tenders"
    out = tmp_path / "features.csv"
    # A short batch (2048-bit keys cost seconds per company) holding every status.
    batch = tmp_path / "batch.csv"
    with (tenders / "bank_applicants.csv").open(encoding="utf-8") as fh:
        every = list(csv.DictReader(fh))
    status = {
        r.company_ref: r.status
        for r in reference_features(
            centres=[tenders / "centre_a", tenders / "centre_b"],
            applicants=tenders / "bank_applicants.csv",
            as_of=dt.date(2026, 10, 31),
        )
    }
    of = {r["company_ref"]: r for r in every}
    firsts = {s: of[ref] for ref, s in reversed(status.items())}  # the first of each status
    kept = [r for r in every[:30] if r not in firsts.values()] + list(firsts.values())
    with batch.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(every[0]))
        writer.writeheader()
        writer.writerows(kept)
    result = tspace(
        "lend",
        "--tenders",
        str(tenders / "centre_a"),
        "--tenders",
        str(tenders / "centre_b"),
        "--applicants",
        str(batch),
        "--as-of",
        "2026-10-31",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:3] == ["company_ref", "status", "bids_12m"]
    assert {r["status"] for r in rows} == {"found", "not_found", "invalid_id"}
    invalid = [r for r in rows if r["status"] == "invalid_id"]
    assert all(r["detail"].startswith("row ") and "company_id: " in r["detail"] for r in invalid)
    assert all(not r["detail"] for r in rows if r["status"] != "invalid_id")
    assert f"{len(invalid)} rows with invalid ids" in result.stderr
    assert invalid[0]["detail"] in result.stderr
    assert [r["company_ref"] for r in rows] == [r["company_ref"] for r in kept]
    reference = reference_features(
        centres=[tenders / "centre_a", tenders / "centre_b"],
        applicants=batch,
        as_of=dt.date(2026, 10, 31),
    )
    assert list(rows[0])[-1] == "detail"
    features = list(rows[0])[2:-1]
    assert features == list(FEATURES)
    assert [(r["company_ref"], r["status"]) for r in rows] == [
        (r.company_ref, r.status) for r in reference
    ]
    for row, ref in zip(rows, reference, strict=True):
        got = {f: Decimal(row[f]) if row[f] else None for f in features}
        assert got == {f: ref.values.get(f) for f in features}, row["company_ref"]


@pytest.mark.slow
def test_cohort_and_overlap_through_the_cli(data: Path, tmp_path: Path) -> None:
    query = tmp_path / "q.yaml"
    query.write_text(
        "hospital: {cohort: inpatients, from: 2026-01-01, to: 2026-10-31}\n"
        "cdc: {cohort: chronic_registry, condition: hypertension}\n"
        "measures: [count, sum_cost]\ngroup_by: [sex]\nmin_count: 1000\n",
        encoding="utf-8",
    )
    out = tmp_path / "result.csv"
    result = tspace(
        "cohort",
        "--hospital",
        str(data / "hospital_visits.csv"),
        "--cdc-reports",
        str(data / "cdc_case_reports.csv"),
        "--cdc-registry",
        str(data / "cdc_chronic_registry.csv"),
        "--query",
        str(query),
        "--out",
        str(out),
        test_keys=True,
    )
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["sex"] for r in rows] == ["F", "M"]
    assert all(r["status"] == "suppressed" and r["count"] == "" for r in rows)  # 1,000 is far above
    bad = tmp_path / "bad.yaml"
    bad.write_text("hospital: {cohort: everyone}\n", encoding="utf-8")
    refused = tspace(
        "cohort",
        "--hospital",
        str(data / "hospital_visits.csv"),
        "--cdc-reports",
        str(data / "cdc_case_reports.csv"),
        "--cdc-registry",
        str(data / "cdc_chronic_registry.csv"),
        "--query",
        str(bad),
        "--out",
        str(tmp_path / "never.csv"),
    )
    assert refused.returncode == 2 and "hospital.cohort" in refused.stderr
    assert not (tmp_path / "never.csv").exists()
    # Two files in one process is the local mode, under its own name;
    # `tspace overlap` runs between two nodes over a space and takes no files.
    overlap = tspace(
        "overlap-local", str(data / "applicants.csv"), str(data / "hospital_visits.csv"), "--json"
    )
    assert overlap.returncode == 0, overlap.stderr
    assert json.loads(overlap.stdout)["overlap"] == _plain_overlap(
        data / "applicants.csv", data / "hospital_visits.csv"
    )
    no_files = tspace("overlap", str(data / "applicants.csv"), str(data / "hospital_visits.csv"))
    assert no_files.returncode == 2, no_files.stderr


def _score_row(row: dict[str, str]) -> ScoreRow:
    """A row of scores.csv as the reference's ScoreRow."""
    if not row["score"]:
        return ScoreRow(row["applicant_ref"], row["status"])
    return ScoreRow(
        row["applicant_ref"],
        row["status"],
        Decimal(row["score"]),
        float(row["probability"]),
        row["band"],
    )


def _plain_overlap(a: Path, b: Path) -> int:
    """Valid resident ids of file a that file b holds, counted in DuckDB."""
    import duckdb

    from connectors.identifiers import normalise_resident_id_sql, resident_id_error_sql

    norm, err = normalise_resident_id_sql("person_id"), resident_id_error_sql("a.person_id")
    sql = f"""
        WITH a AS (SELECT DISTINCT {norm} AS person_id
                   FROM read_csv($a, header = true, all_varchar = true)),
             b AS (SELECT DISTINCT {norm} AS person_id
                   FROM read_csv($b, header = true, all_varchar = true))
        SELECT count(*) FROM a JOIN b USING (person_id) WHERE ({err}) IS NULL
    """
    with duckdb.connect() as con:
        row = con.execute(sql, {"a": str(a), "b": str(b)}).fetchone()
    assert row is not None and row[0] > 0, "the generated applicants overlap the hospital"
    return int(row[0])


def test_load_exits_non_zero_when_nothing_loaded(tmp_path: Path) -> None:
    f = tmp_path / "reg.csv"
    f.write_text("person_id,condition,registered_date\n110101199003074515,diabetes,2020-01-01\n")
    result = tspace("load", "csv", str(f), "--node-dir", str(tmp_path / "node"))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Nothing was loaded (exit code 3)" in result.stdout
    assert "check character" in result.stdout


def test_load_of_real2_by_kind_prints_what_a_provider_can_act_on(tmp_path: Path) -> None:
    real2 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real2"
    if not real2.is_dir():
        pytest.skip(f"real fixtures (second set) not found at {real2} (no ../shared)")
    hl7 = tspace(
        "load", "hl7v2", str(real2 / "hl7v2"  / "cdc-dex"), "--node-dir", str(tmp_path / "cdc"),
        "--id-map", "pseudonymous",
    )  # fmt: skip
    assert hl7.returncode == 0, hl7.stderr
    assert "2 file(s) could not be read and were skipped" in hl7.stdout
    assert "debatcher_empty.txt: empty file (0 bytes)" in hl7.stdout
    fhir = tspace(
        "load", "fhir", str(real2 / "fhir" / "synthea-bundle"), "--node-dir", str(tmp_path / "h"),
        "--id-map", "pseudonymous",
    )  # fmt: skip
    assert fhir.returncode == 0, fhir.stderr
    assert "loaded 6" in fhir.stdout and "transaction Bundle" in fhir.stdout
    python_hl7 = tspace(
        "load", "hl7v2", str(real2 / "hl7v2" / "python-hl7"), "--node-dir", str(tmp_path / "p"),
        "--id-map", "pseudonymous",
    )  # fmt: skip
    assert python_hl7.returncode == 3
    assert "an ADT^A04 message, not an ORU^R01 case notification" in python_hl7.stdout


def test_underwrite_names_a_missing_column_and_prints_load_summaries(
    data: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "hospital_visits.csv"
    text = (data / "hospital_visits.csv").read_text(encoding="utf-8")
    renamed.write_text(text.replace("total_cost", "cost_total", 1), encoding="utf-8")
    args = [
        "--cdc-reports", str(data / "cdc_case_reports.csv"),
        "--cdc-registry", str(data / "cdc_chronic_registry.csv"),
        "--applicants", str(data / "applicants.csv"),
        "--model", str(default_model_path()),
        "--as-of", "2026-10-31",
    ]  # fmt: skip
    out = tmp_path / "scores.csv"
    # The named test keys: no check here is about the key size.
    result = tspace(
        "underwrite", "--hospital", str(renamed), *args, "--out", str(out), test_keys=True
    )
    assert result.returncode == 2
    assert "missing column total_cost" in result.stderr and "cost_total" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
    # a hospital whose every row is rejected: the job names it, with its counts
    broken = tmp_path / "broken.csv"
    lines = text.splitlines()
    broken.write_text(
        "\n".join([lines[0], *(",".join(["x", *r.split(",")[1:]]) for r in lines[1:4])]) + "\n",
        encoding="utf-8",
    )
    refused = tspace(
        "underwrite", "--hospital", str(broken), *args, "--out", str(out), test_keys=True
    )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "A provider has no usable data" in refused.stderr
    assert "hospital: read 3 rows, loaded 0, rejected 3" in refused.stderr
    ok = tspace(
        "underwrite", "--hospital", str(data / "hospital_visits.csv"), *args, "--out", str(out),
        "--workdir", str(tmp_path / "work"), test_keys=True,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    for provider in ("hospital", "cdc"):
        assert f"{provider}: read " in ok.stdout
    assert "last_load.json" in ok.stdout
