"""`tspace cohort` and the providers' loads (issue 23, item 13): a missing
required column is an error naming it and the file's columns, and a run
prints each provider's load summary; without --workdir the reports are in a
temporary folder removed with it, and the summary says so rather than name a
path that is gone. In process (tests/cli_runner.py), on a few rows."""

from __future__ import annotations

from pathlib import Path

from tests.cli_runner import run_tspace

VISITS = "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,{cost}\n"
ROW = "11010519491231002X,v1,H1,2025-01-02,inpatient,2025-01-05,E119,1234.50\n"
QUERY = (
    "hospital: {cohort: inpatients, from: 2025-01-01, to: 2025-10-31}\n"
    "cdc: {cohort: chronic_registry, condition: hypertension}\n"
    "measures: [count]\nmin_count: 10\n"
)


def inputs(tmp: Path, cost: str, row: str = ROW) -> list[str]:
    """The three CSVs and the query, written; the cohort arguments naming them."""
    (tmp / "h.csv").write_text(VISITS.format(cost=cost) + row, encoding="utf-8")
    (tmp / "r.csv").write_text(
        "person_id,report_id,report_date,disease_icd10,case_status\n", encoding="utf-8"
    )
    (tmp / "g.csv").write_text(
        "person_id,condition,registered_date\n11010519491231002X,hypertension,2020-01-01\n",
        encoding="utf-8",
    )
    (tmp / "q.yaml").write_text(QUERY, encoding="utf-8")
    return [
        "cohort", "--hospital", str(tmp / "h.csv"), "--cdc-reports", str(tmp / "r.csv"),
        "--cdc-registry", str(tmp / "g.csv"), "--query", str(tmp / "q.yaml"),
        "--out", str(tmp / "out.csv"),
    ]  # fmt: skip


def cohort(tmp: Path, cost: str, *extra: str, row: str = ROW):  # type: ignore[no-untyped-def]
    return run_tspace(
        *inputs(tmp, cost, row),
        *extra,
        env={"TSPACE_TEST_ONLY_PAILLIER_1024": "1", "COLUMNS": "250"},
    )


def test_a_missing_column_stops_cohort_naming_it(tmp_path: Path) -> None:
    result = cohort(tmp_path, "cost_total")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "missing column total_cost of hospital_visits" in result.stderr
    assert "cost_total" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_each_providers_load_summary_names_a_report_that_exists(tmp_path: Path) -> None:
    temporary = cohort(tmp_path, "total_cost")
    assert temporary.returncode == 0, temporary.stdout + temporary.stderr
    for provider in ("hospital", "cdc"):
        line = next(x for x in temporary.stdout.splitlines() if x.startswith(f"{provider}: read"))
        assert "read 1 rows, loaded 1, rejected 0" in line
        assert line.endswith(
            "report: not kept (a temporary work folder, removed; --workdir DIR keeps it)"
        )
    kept = cohort(tmp_path, "total_cost", "--workdir", str(tmp_path / "work"))
    assert kept.returncode == 0, kept.stdout + kept.stderr
    for provider in ("hospital", "cdc"):
        line = next(x for x in kept.stdout.splitlines() if x.startswith(f"{provider}: read"))
        report = Path(line.rsplit("report: ", 1)[1])
        assert report.is_file() and report.parent.parent.name == provider


def test_a_provider_with_no_usable_data_is_named_with_a_report_that_exists(
    tmp_path: Path,
) -> None:
    bad = ROW.replace("11010519491231002X", "110105194912310021")  # wrong check character
    refused = cohort(tmp_path, "total_cost", row=bad)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "A provider has no usable data, so the job cannot run. hospital: read 1 rows" in (
        refused.stderr
    )
    assert "report: not kept (a temporary work folder" in refused.stderr
    assert "tspace-" not in refused.stderr and not (tmp_path / "out.csv").exists()
    kept = cohort(tmp_path, "total_cost", "--workdir", str(tmp_path / "work"), row=bad)
    assert kept.returncode == 2
    report = Path(kept.stderr.split("report: ", 1)[1].split()[0])
    assert report.is_file() and report.name == "last_load.json"
