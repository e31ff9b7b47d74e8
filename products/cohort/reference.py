"""The plaintext reference for cohort_statistics: the same cells computed by a
plain DuckDB join of the hospital's and the CDC's CSV files (no tokens, no
encryption, none of the providers' SQL). With DP off and min_count 0 the
private result must equal it exactly. Sees every raw row: generated data and
tests only.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from products.cohort.query import CohortQuery

# The cells' person-level values as docs/cohort.md defines them, written out
# here rather than taken from the product's layout.
SEXES = ("F", "M")
AGE_BANDS = (*(f"{10 * i}-{10 * i + 9}" for i in range(10)), "100+")


def _ranges(codes: str) -> list[tuple[str, str]]:
    """'E10-E14,I10' -> [('E10', 'E14'), ('I10', 'I10')]."""
    return [(p.split("-")[0], p.split("-")[-1]) for p in codes.split(",")]


def _months(start: Any, end: Any) -> list[str]:
    """Every calendar month from start's to end's, as YYYY-MM."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1)]


SQL = """
WITH hv AS (
    SELECT person_id, hospital_id, CAST(visit_date AS DATE) AS visit_date, visit_type,
           CAST(NULLIF(discharge_date, '') AS DATE) AS discharge_date, icd10,
           CAST(NULLIF(total_cost, '') AS DECIMAL(18, 2)) AS total_cost
    FROM read_csv($hospital, header = true, all_varchar = true)
),
hosp_visits AS (
    SELECT * FROM hv WHERE visit_date BETWEEN $h_from AND $h_to AND ({hospital_filter})
),
hosp AS (
    SELECT person_id, {hospital_key} AS hospital_key, {month_key} AS month_key,
           sum(coalesce(total_cost, 0)) AS cost,
           sum(CASE WHEN visit_type = 'inpatient'
               THEN date_diff('day', visit_date, coalesce(discharge_date, $h_to))
               ELSE 0 END) AS days
    FROM hosp_visits GROUP BY ALL
),
cdc AS ({cdc_sql}),
joined AS (SELECT * FROM hosp JOIN cdc USING (person_id))
SELECT
    CASE WHEN CAST(substr(person_id, 17, 1) AS INTEGER) % 2 = 1 THEN 'M' ELSE 'F' END AS sex,
    CAST(strptime(substr(person_id, 7, 8), '%Y%m%d') AS DATE) AS born,
    hospital_key, month_key, cost, days, reports
FROM joined
"""


def _age(born: Any, at: Any) -> int:
    return at.year - born.year - ((at.month, at.day) < (born.month, born.day))


def reference_cells(
    query: CohortQuery, *, hospital: Path, reports: Path, registry: Path
) -> list[dict[str, Any]]:
    """The query's cells computed in plaintext in DuckDB on the same files,
    before suppression and noise: the reference the private run must equal."""
    h, c = query.hospital, query.cdc
    if h.cohort == "inpatients":
        hospital_filter = "visit_type = 'inpatient'"
    else:
        hospital_filter = " OR ".join(
            f"substr(icd10, 1, 3) BETWEEN '{lo}' AND '{hi}'" for lo, hi in _ranges(h.codes or "")
        )
    if c.cohort == "chronic_registry":
        cdc_sql = (
            "SELECT DISTINCT person_id, 0 AS reports FROM read_csv($registry, header = true, "
            "all_varchar = true) WHERE lower(condition) = lower($condition)"
        )
        params: dict[str, Any] = {"condition": c.condition}
    else:
        ranges = " OR ".join(
            f"substr(disease_icd10, 1, 3) BETWEEN '{lo}' AND '{hi}'"
            for lo, hi in _ranges(c.codes or "")
        )
        cdc_sql = (
            "SELECT person_id, count(*) AS reports FROM read_csv($reports, header = true, "
            "all_varchar = true) WHERE case_status = 'confirmed' AND CAST(report_date AS DATE) "
            f"BETWEEN $c_from AND $c_to AND ({ranges}) GROUP BY person_id"
        )
        params = {"c_from": c.start, "c_to": c.end}
    sql = SQL.format(
        hospital_filter=hospital_filter,
        hospital_key="hospital_id" if "hospital_id" in query.group_by else "'-'",
        month_key="strftime(visit_date, '%Y-%m')" if "month" in query.group_by else "'-'",
        cdc_sql=cdc_sql,
    )
    params.update({"hospital": str(hospital), "h_from": h.start, "h_to": h.end})
    if "$registry" in sql:
        params["registry"] = str(registry)
    if "$reports" in sql:
        params["reports"] = str(reports)
    with duckdb.connect() as con:
        rows: list[tuple[Any, ...]] = con.sql(sql, params=params).fetchall()
        ids = sorted(
            {
                r[0]
                for r in con.sql(
                    "SELECT hospital_id FROM read_csv($hospital, header = true, "
                    "all_varchar = true) WHERE CAST(visit_date AS DATE) "
                    f"BETWEEN $h_from AND $h_to AND ({hospital_filter})",
                    params={"hospital": str(hospital), "h_from": h.start, "h_to": h.end},
                ).fetchall()
            }
        )
    domains = {
        "sex": list(SEXES),
        "age_band": list(AGE_BANDS),
        "hospital_id": ids or ["-"],
        "month": _months(h.start, h.end),
    }
    cells: dict[tuple[str, ...], dict[str, Any]] = {}
    for key in itertools.product(*(domains[d] for d in query.group_by)):
        cells[key] = {
            "count": 0,
            "sum_cost": Decimal(0),
            "sum_inpatient_days": 0,
            "count_reports": 0,
        }
    for sex, born, hospital_key, month_key, cost, days, n_reports in rows:
        age = _age(born, h.end)
        band = AGE_BANDS[min(max(age, 0) // 10, 10)]
        attrs = {"sex": sex, "age_band": band, "hospital_id": hospital_key, "month": month_key}
        cell = cells[tuple(attrs[d] for d in query.group_by)]
        cell["count"] += 1
        cell["sum_cost"] += Decimal(cost)
        cell["sum_inpatient_days"] += int(days)
        cell["count_reports"] += int(n_reports)
    out = []
    for key, values in cells.items():
        row: dict[str, Any] = dict(zip(query.group_by, key, strict=True))
        row.update({v: values[v] for v in query.values})
        out.append(row)
    return out
