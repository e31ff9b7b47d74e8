"""`tspace usage report`: figures recomputed from the ledger export agree.

The space ran two underwriting jobs and one cohort job; the report's rows
are checked against an independent DuckDB reading of the exported ledger.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.cli_runner import run_tspace
from tests.stories import cohort_synth, underwrite_synth
from trusted_space.core.clock import CHINA
from trusted_space.synth import generate_health


def tspace(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tspace(*args)


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory, suite: str) -> Path:
    data = tmp_path_factory.mktemp("data")
    generate_health(2000, 6, data, applicants=40, end_date=dt.date(2026, 10, 31))
    work = tmp_path_factory.mktemp("work")
    underwrite_synth(data, work, suite=suite)
    underwrite_synth(data, work, suite=suite)
    cohort_synth(data, work, suite=suite)
    return work


def test_the_report_equals_counts_recomputed_from_the_ledger(space: Path, tmp_path: Path) -> None:
    month = dt.datetime.now(CHINA).strftime("%Y-%m")
    result = tspace("usage", "report", "--workdir", str(space), "--month", month, "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    export = tmp_path / "ledger.jsonl"
    assert tspace("ledger", "export", "--workdir", str(space), "--out", str(export)).returncode == 0

    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE l AS SELECT seq, kind, job_id, details::JSON AS d "
        f"FROM read_json('{export}', format='newline_delimited', columns="
        "{'seq': 'BIGINT', 'kind': 'VARCHAR', 'job_id': 'VARCHAR', 'details': 'JSON'})"
    )
    expected = con.sql(
        """
        WITH allowed AS (
            SELECT job_id, d->>'consumer' AS consumer, d->>'product' AS product,
                   (d->>'batch_size')::INT AS subjects
            FROM l WHERE kind = 'policy_decision' AND d->>'decision' = 'allow'),
        providers AS (
            SELECT job_id, unnest(json_keys(d->'matched')) AS provider FROM l
            WHERE kind = 'subjects_relayed'
            UNION ALL
            SELECT job_id, unnest(['hospital', 'cdc']) FROM l WHERE kind = 'tokens_joined'),
        -- a cohort's intersection, rounded down on the 1-2-5 scale (0 below 10)
        joined AS (
            SELECT job_id, (d->>'intersection')::INT AS exact,
                   CASE WHEN exact < 10 THEN 0 ELSE
                     (SELECT max(s * 10 ** (length(exact::VARCHAR) - 1))
                      FROM unnest([1, 2, 5]) AS t(s)
                      WHERE s * 10 ** (length(exact::VARCHAR) - 1) <= exact)::INT
                   END AS bucket
            FROM l WHERE kind = 'tokens_joined'),
        matched AS (
            SELECT p.job_id, p.provider,
                   coalesce((s.d->'matched'->>p.provider)::INT, c.bucket) AS n
            FROM providers p
            LEFT JOIN l s ON s.job_id = p.job_id AND s.kind = 'subjects_relayed'
            LEFT JOIN joined c ON c.job_id = p.job_id)
        SELECT consumer, product, provider, count(*) AS jobs, sum(subjects) AS subjects,
               sum(n) AS matched
        FROM allowed JOIN matched USING (job_id)
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    got = [
        (
            r["consumer"],
            r["product"],
            r["provider"],
            int(r["jobs"]),
            int(r["subjects"]),
            int(r["matched"]),
        )
        for r in rows
    ]
    assert sorted(got) == sorted(tuple(x) for x in expected)
    assert {r["product"] for r in rows} == {"health_underwriting", "cohort_statistics"} or len(
        {r["product"] for r in rows}
    ) == 2
    under = [r for r in rows if r["consumer"] == "insurer"]
    assert under and all(int(r["jobs"]) == 2 and int(r["succeeded"]) == 2 for r in under)
    cohort = [r for r in rows if r["consumer"] != "insurer"]
    assert cohort and all(int(r["cells_released"]) > 0 for r in cohort)
    # Issue 22, item 9: the exact intersection never leaves in a report.
    exact = con.execute(
        "SELECT (d->>'intersection')::INT FROM l WHERE kind = 'tokens_joined'"
    ).fetchall()[0][0]
    assert exact > 0
    shown = {int(r["matched"]) for r in cohort}
    assert all(_on_scale(n) for n in shown), shown
    assert _on_scale(exact) or exact not in shown, (exact, shown)
    for r in rows:  # every figure names the entries it came from
        seqs = [int(s) for s in r["ledger_entries"].split()]
        kinds = {
            k
            for (k,) in con.sql(
                f"SELECT kind FROM l WHERE seq IN ({','.join(map(str, seqs))})"
            ).fetchall()
        }
        assert "policy_decision" in kinds and "job_submitted" in kinds


def _on_scale(n: int) -> bool:
    return n == 0 or re.fullmatch(r"[125]0*", str(n)) is not None


def test_another_month_is_empty_and_a_bad_month_is_refused(space: Path) -> None:
    empty = tspace("usage", "report", "--workdir", str(space), "--month", "2001-01", "--csv")
    assert empty.returncode == 0 and len(empty.stdout.strip().splitlines()) == 1
    bad = tspace("usage", "report", "--workdir", str(space), "--month", "2026-13")
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
    table = tspace("usage", "report", "--workdir", str(space))
    assert table.returncode == 0 and "4 rows" in table.stdout
