"""The plaintext reference for underwriting_score.

The same answer computed directly in DuckDB from the same CSV files, with no
PSI, no encryption and none of the product's feature SQL: an independent
formulation that the private pipeline must agree with (tests and
``tspace demo`` compare them). It sees every raw row, so it only ever runs on
generated data or in tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from connectors.identifiers import normalise_resident_id_sql, resident_id_error_sql
from products.reference_kit import Model, band_of, logistic, read_model, release
from products.underwriting.runner import ScoreRow

FEATURES_SQL = """
WITH app AS (
    SELECT row_number() OVER () AS ord, applicant_ref, {norm} AS pid
    FROM read_csv($applicants, header = true, all_varchar = true)
),
app_valid AS (
    SELECT *, ({err}) AS err FROM (SELECT ord, applicant_ref, pid AS person_id FROM app)
),
visits AS (
    SELECT * FROM read_csv($hospital, header = true, all_varchar = true)
),
reports AS (
    SELECT * FROM read_csv($reports, header = true, all_varchar = true)
),
registry AS (
    SELECT * FROM read_csv($registry, header = true, all_varchar = true)
)
SELECT
    a.ord, a.applicant_ref, a.err,
    (SELECT count(*) FROM visits v WHERE v.person_id = a.person_id
        AND CAST(v.visit_date AS DATE) BETWEEN $as_of - 364 AND $as_of) AS visits_12m,
    (SELECT coalesce(sum(date_diff('day', CAST(v.visit_date AS DATE),
                 coalesce(CAST(NULLIF(v.discharge_date, '') AS DATE), $as_of))), 0)
        FROM visits v WHERE v.person_id = a.person_id AND v.visit_type = 'inpatient'
        AND CAST(v.visit_date AS DATE) BETWEEN $as_of - 364 AND $as_of) AS inpatient_days_12m,
    (SELECT coalesce(sum(CAST(NULLIF(v.total_cost, '') AS DOUBLE)), 0) FROM visits v
        WHERE v.person_id = a.person_id
        AND CAST(v.visit_date AS DATE) BETWEEN $as_of - 364 AND $as_of) AS cost_12m,
    (SELECT count(DISTINCT g) FROM (
        SELECT CASE
            WHEN left(v.icd10, 3) BETWEEN 'E10' AND 'E14' THEN 1
            WHEN left(v.icd10, 3) BETWEEN 'I10' AND 'I15' THEN 2
            WHEN left(v.icd10, 1) = 'C' AND TRY_CAST(substr(v.icd10, 2, 2) AS INTEGER) <= 97 THEN 3
            WHEN left(v.icd10, 3) = 'N18' THEN 4
            WHEN left(v.icd10, 3) = 'J44' THEN 5
        END AS g
        FROM visits v WHERE v.person_id = a.person_id
        AND CAST(v.visit_date AS DATE) BETWEEN $as_of - 364 AND $as_of) WHERE g IS NOT NULL
    ) AS chronic_dx_groups,
    (SELECT count(*) FROM reports r WHERE r.person_id = a.person_id
        AND r.case_status = 'confirmed'
        AND CAST(r.report_date AS DATE) BETWEEN $as_of - 1825 AND $as_of) AS notifiable_reports_5y,
    (SELECT count(*) FROM registry g WHERE g.person_id = a.person_id
        AND CAST(g.registered_date AS DATE) <= $as_of) AS chronic_registered
FROM app_valid a
ORDER BY a.ord
"""


def reference_features(
    *, hospital: Path, reports: Path, registry: Path, applicants: Path, as_of: dt.date
) -> list[dict[str, Any]]:
    sql = FEATURES_SQL.format(
        norm=normalise_resident_id_sql("person_id"), err=resident_id_error_sql("person_id")
    )
    with duckdb.connect() as con:
        rel = con.sql(
            sql,
            params={
                "applicants": str(applicants),
                "hospital": str(hospital),
                "reports": str(reports),
                "registry": str(registry),
                "as_of": as_of,
            },
        )
        names = rel.columns
        return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def reference_scores(
    *,
    hospital: Path,
    reports: Path,
    registry: Path,
    applicants: Path,
    as_of: dt.date,
    model: Path | Model,
    transforms: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[ScoreRow]:
    """Scores computed in plaintext from the model's file (read here, not by
    the private path's parser); ``transforms`` are the policy's release
    transforms, applied to each feature as the providers apply them."""
    if not isinstance(model, Model):
        model = read_model(model)
    rows = []
    weights = {k: float(v) for k, v in model.weights.items()}
    for r in reference_features(
        hospital=hospital, reports=reports, registry=registry, applicants=applicants, as_of=as_of
    ):
        if r["err"] is not None or r["applicant_ref"] is None:
            rows.append(ScoreRow(str(r["applicant_ref"]), "invalid_id"))
            continue
        score = float(model.intercept) + sum(
            w * float(release(Decimal(str(r[name])), (transforms or {}).get(name)))
            for name, w in weights.items()
        )
        p = logistic(score)
        rows.append(
            ScoreRow(
                str(r["applicant_ref"]), "scored", Decimal(repr(score)), p, band_of(model.bands, p)
            )
        )
    return rows
