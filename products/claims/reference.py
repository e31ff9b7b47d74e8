"""The plaintext reference for claim_verification.

The same answers computed directly in DuckDB from the same CSV files, with
no PSI, no encryption, none of the product's SQL and none of its claims
reader: the claims file is checked here by its own SQL, the stay is found by
a recursive walk over overlapping inpatient records (the product's SQL uses
a running maximum instead), and the status is decided in a few lines of its
own. It sees every raw row, so it only ever runs on generated data or in
tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from connectors.identifiers import normalise_resident_id_sql, resident_id_error_sql
from products.claims.runner import ClaimRow
from products.reference_kit import release
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import t

CLAIMS_SQL = """
WITH raw AS (
    SELECT row_number() OVER () AS ord, *
    FROM read_csv($claims, header = true, all_varchar = true)
),
claims AS (
    SELECT
        ord,
        trim(claim_ref) AS claim_ref,
        {norm} AS pid,
        NULLIF(trim(hospital_id), '') AS hid,
        trim(visit_date) AS day_text,
        lower(NULLIF(trim({visit_type}), '')) AS vtype,
        replace(trim(claimed_amount), ',', '') AS amount_text,
        upper(replace(NULLIF(trim({icd10}), ''), ' ', '')) AS code
    FROM raw
)
SELECT
    ord,
    claim_ref,
    pid,
    hid,
    TRY_CAST(day_text AS DATE) AS day,
    vtype,
    CAST(round(TRY_CAST(amount_text AS DECIMAL(20, 2)) * 100) AS HUGEINT) AS fen,
    left(code, 3) AS category,
    CASE
        WHEN pid IS NULL OR pid = '' THEN 'person_id'
        WHEN ({err}) IS NOT NULL THEN 'person_id'
        WHEN hid IS NULL OR length(hid) > 256 THEN 'hospital_id'
        WHEN vtype IS NOT NULL AND vtype NOT IN ('outpatient', 'inpatient', 'emergency')
            THEN 'visit_type'
        WHEN code IS NOT NULL AND NOT CASE
            WHEN contains(code, '.')
                THEN regexp_full_match(code, '[A-Z][0-9]{{2}}\\.[0-9A-Z]{{1,8}}[+*]?')
            ELSE regexp_full_match(code, '[A-Z][0-9]{{2}}([0-9A-Z]{{1,8}}[+*]?)?')
        END THEN 'icd10'
        WHEN NOT regexp_full_match(coalesce(day_text, ''), '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')
            OR TRY_CAST(day_text AS DATE) IS NULL
            OR year(TRY_CAST(day_text AS DATE)) NOT BETWEEN 1900 AND 2100 THEN 'visit_date'
        WHEN NOT regexp_full_match(coalesce(amount_text, ''), '[0-9]{{1,16}}(\\.[0-9]{{1,2}})?')
            OR TRY_CAST(amount_text AS DECIMAL(20, 2)) <= 0 THEN 'claimed_amount'
    END AS bad
FROM claims
ORDER BY ord
"""

VERIFY_SQL = """
WITH RECURSIVE
visits AS (
    SELECT
        person_id,
        visit_id,
        hospital_id,
        CAST(visit_date AS DATE) AS vd,
        visit_type,
        coalesce(CAST(NULLIF(discharge_date, '') AS DATE), $as_of) AS dd,
        coalesce(CAST(NULLIF(total_cost, '') AS DECIMAL(18, 2)), 0) AS cost,
        left(icd10, 3) AS category
    FROM read_csv($hospital, header = true, all_varchar = true, union_by_name = true)
    WHERE CAST(visit_date AS DATE) <= $as_of
),
candidates AS (
    SELECT c.ord, v.*, abs(v.vd - c.day) AS gap
    FROM claims AS c
    JOIN visits AS v ON v.person_id = c.pid AND v.hospital_id = c.hid
    WHERE abs(v.vd - c.day) <= $tolerance AND (c.vtype IS NULL OR v.visit_type = c.vtype)
),
closest AS (
    SELECT ord, min(gap) AS gap FROM candidates GROUP BY ord
),
chosen AS (
    SELECT c.ord, min(c.vd) AS vd
    FROM candidates AS c JOIN closest AS k ON k.ord = c.ord AND k.gap = c.gap
    GROUP BY c.ord
),
hits AS (
    SELECT c.* FROM candidates AS c JOIN chosen AS h ON h.ord = c.ord AND h.vd = c.vd
),
stay(ord, hospital_id, visit_id) AS (
    SELECT ord, hospital_id, visit_id FROM hits WHERE visit_type = 'inpatient'
    UNION
    SELECT s.ord, w.hospital_id, w.visit_id
    FROM stay AS s
    JOIN visits AS a ON a.hospital_id = s.hospital_id AND a.visit_id = s.visit_id
    JOIN visits AS w
      ON w.person_id = a.person_id AND w.hospital_id = a.hospital_id
     AND w.visit_type = 'inpatient' AND w.vd <= a.dd AND w.dd >= a.vd
),
billed AS (
    SELECT ord, hospital_id, visit_id FROM hits
    UNION
    SELECT ord, hospital_id, visit_id FROM stay
)
SELECT
    c.ord,
    (SELECT count(*) FROM hits AS h WHERE h.ord = c.ord) > 0 AS found,
    (SELECT sum(v.cost) FROM billed AS b
        JOIN visits AS v ON v.hospital_id = b.hospital_id AND v.visit_id = b.visit_id
        WHERE b.ord = c.ord) AS total,
    (SELECT count(*) FROM billed AS b
        JOIN visits AS v ON v.hospital_id = b.hospital_id AND v.visit_id = b.visit_id
        WHERE b.ord = c.ord AND v.category = c.category) > 0 AS dx,
    (SELECT max(v.dd) - min(v.vd) FROM stay AS s
        JOIN visits AS v ON v.hospital_id = s.hospital_id AND v.visit_id = s.visit_id
        WHERE s.ord = c.ord) AS days
FROM claims AS c
ORDER BY c.ord
"""


def reference_claims(
    *,
    hospital: Sequence[Path] | Mapping[str, Sequence[Path]],
    claims: Path,
    as_of: dt.date,
    outputs: Sequence[str],
    tolerance: int = 1,
    transforms: Mapping[str, Mapping[str, Any]] | None = None,
    consented: Collection[str] | Mapping[str, Collection[str]] | None = None,
) -> list[ClaimRow]:
    """Each claim's row as result.csv holds it. ``hospital``: one group's
    files, or each group's (by name); ``tolerance``: the policies' date
    tolerance in days; ``transforms``: their release transforms;
    ``consented``: when the policies require consent, the people with live
    consent, at every group or per group.

    A claim belongs to the group whose files hold its hospital_id: a person
    that group holds without consent is ``no_consent``; a claim at a
    hospital no group holds is ``not_found``, whatever any group's consent.
    Two groups holding one hospital_id a claim names: ``InputError`` naming
    it."""
    groups = {"": list(hospital)} if not isinstance(hospital, Mapping) else dict(hospital)
    files = [str(p) for paths in groups.values() for p in paths]
    with duckdb.connect() as con:
        header = con.sql(
            "SELECT * FROM read_csv($claims, header = true, all_varchar = true) LIMIT 0",
            params={"claims": str(claims)},
        ).columns
        sql = CLAIMS_SQL.format(
            norm=normalise_resident_id_sql("person_id"),
            err=resident_id_error_sql("pid"),
            visit_type="visit_type" if "visit_type" in header else "NULL",
            icd10="icd10" if "icd10" in header else "NULL",
        )
        con.execute(f"CREATE TEMP TABLE all_claims AS {sql}", {"claims": str(claims)})
        con.execute("CREATE TEMP VIEW claims AS SELECT * FROM all_claims WHERE bad IS NULL")
        held: dict[str, set[str]] = {}  # group -> the people it holds
        owners: dict[str, list[str]] = {}  # hospital_id -> the groups holding it
        for group, paths in groups.items():
            pairs = con.execute(
                "SELECT DISTINCT person_id, hospital_id FROM read_csv($hospital, "
                "header = true, all_varchar = true, union_by_name = true)",
                {"hospital": [str(p) for p in paths]},
            ).fetchall()
            held[group] = {str(p) for p, _ in pairs}
            for hid in sorted({str(h) for _, h in pairs if h}):
                owners.setdefault(hid, []).append(group)
        answers = {
            row[0]: row[1:]
            for row in con.execute(
                VERIFY_SQL, {"hospital": files, "as_of": as_of, "tolerance": tolerance}
            ).fetchall()
        }
        batch = con.execute(
            "SELECT ord, claim_ref, pid, hid, fen, category, bad FROM all_claims ORDER BY ord"
        ).fetchall()
    shared = sorted({h for *_, h, _, _, bad in batch if bad is None and len(owners.get(h, [])) > 1})
    if shared:
        raise InputError(t("claims.hospital_held_twice", hospitals=", ".join(shared)))
    rows = []
    for ord_, ref, pid, hid, fen, category, bad in batch:
        owner = owners.get(hid, [None])[0]
        if bad is not None:
            rows.append(ClaimRow(ref, "invalid"))
        elif owner is not None and pid in held[owner] and not _consents(consented, owner, pid):
            rows.append(ClaimRow(ref, "no_consent"))
        else:
            found, total, dx, days = answers[ord_]
            rows.append(_row(ref, outputs, found, total, fen, category, dx, days, transforms))
    return rows


def _consents(
    consented: Collection[str] | Mapping[str, Collection[str]] | None, group: str, pid: str
) -> bool:
    """Whether ``group`` may answer for ``pid``: no consent required, or a live one."""
    if consented is None:
        return True
    if isinstance(consented, Mapping):
        return pid in consented.get(group, ())
    return pid in consented


def _row(
    ref: str,
    outputs: Sequence[str],
    found: bool,
    total: Decimal | None,
    fen: int,
    category: str | None,
    dx: bool,
    days: int | None,
    transforms: Mapping[str, Mapping[str, Any]] | None,
) -> ClaimRow:
    if not found:
        return ClaimRow(ref, "not_found", values={"visit_found": False})
    total = total or Decimal(0)
    everything: dict[str, Any] = {
        "visit_found": True,
        "billed_total": release(total, (transforms or {}).get("billed_total")),
        "within_bill": fen <= total * 100,
        "dx_match": None if category is None else dx,
        "inpatient_days": days or 0,
    }
    values = {o: everything[o] for o in outputs}
    failed = tuple(c for c in ("within_bill", "dx_match") if values.get(c) is False)
    return ClaimRow(ref, "mismatch" if failed else "verified", failed, values)
