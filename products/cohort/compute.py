"""What each provider computes for a cohort query, in its own DuckDB.

The hospital returns one row per person (and per hospital and month when the
query groups by them) with the count and its measures; the CDC returns one
row per person in its cohort with the number of matching reports. Both run on
the canonical tables only, with the query's values passed as parameters, and
leave out everyone who opted out.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from products.base import JoinVectors
from products.cohort.layout import age_band_of, build_layout, sex_of
from products.cohort.query import CDC, CLIP, HOSPITAL, CohortQuery, code_ranges
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text

if TYPE_CHECKING:  # the node passes its connection; the space never imports DuckDB for this
    import duckdb
    import pyarrow as pa

# People who opted out at this provider are in no cohort (connectors/node_store.py).
OPTED_IN = "person_id NOT IN (SELECT subject FROM opt_outs)"


def _category_filter(column: str, codes: str) -> tuple[str, list[str]]:
    clauses, params = [], []
    for lo, hi in code_ranges(codes):
        clauses.append(f"substr({column}, 1, 3) BETWEEN ? AND ?")
        params += [lo, hi]
    return "(" + " OR ".join(clauses) + ")", params


def hospital_rows(con: duckdb.DuckDBPyConnection, query: CohortQuery) -> pa.Table:
    """person_id, hospital_id, month, count, sum_cost (fen), sum_inpatient_days."""
    h = query.hospital
    where = ["visit_date BETWEEN ? AND ?", OPTED_IN]
    params: list[object] = [h.start, h.end]
    if h.cohort == "inpatients":
        where.append("visit_type = 'inpatient'")
    else:
        clause, codes = _category_filter("icd10", h.codes or "")
        where.append(clause)
        params += codes
    keys = ["person_id"]
    keys.append("hospital_id" if "hospital_id" in query.group_by else "'-' AS hospital_id")
    keys.append(
        "strftime(visit_date, '%Y-%m') AS month" if "month" in query.group_by else "'-' AS month"
    )
    sql = f"""
        SELECT {", ".join(keys)},
               1 AS count,
               CAST(round(coalesce(sum(total_cost), 0) * 100) AS BIGINT) AS sum_cost,
               coalesce(sum(CASE WHEN visit_type = 'inpatient'
                    THEN date_diff('day', visit_date, coalesce(discharge_date, CAST(? AS DATE)))
                    ELSE 0 END), 0) AS sum_inpatient_days
        FROM hospital_visits
        WHERE {" AND ".join(where)}
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
    """
    return con.sql(sql, params=[h.end, *params]).to_arrow_table()


def cdc_rows(con: duckdb.DuckDBPyConnection, query: CohortQuery) -> pa.Table:
    """person_id, count_reports."""
    c = query.cdc
    if c.cohort == "chronic_registry":
        sql = (
            "SELECT person_id, 0 AS count_reports FROM cdc_chronic_registry "
            f"WHERE lower(condition) = lower(?) AND {OPTED_IN} "
            "GROUP BY person_id ORDER BY person_id"
        )
        return con.sql(sql, params=[c.condition]).to_arrow_table()
    clause, codes = _category_filter("disease_icd10", c.codes or "")
    sql = (
        "SELECT person_id, count(*) AS count_reports FROM cdc_case_reports "
        f"WHERE case_status = 'confirmed' AND report_date BETWEEN ? AND ? AND {clause} "
        f"AND {OPTED_IN} "
        "GROUP BY person_id ORDER BY person_id"
    )
    return con.sql(sql, params=[c.start, c.end, *codes]).to_arrow_table()


def provider_vectors(
    con: duckdb.DuckDBPyConnection, role: str, query: CohortQuery, modulus_bits: int, clip: bool
) -> JoinVectors:
    """A provider's per-person slot vectors: the hospital's count and measures
    in each person's cells, the CDC's count_reports (when the query asks for
    it) in the person's cell; each value clipped to CLIP when ``clip``."""
    vectors: dict[str, dict[int, int]] = defaultdict(dict)
    hospital_ids: list[str] = []
    if role == HOSPITAL:
        table = hospital_rows(con, query).to_pylist()
        if "hospital_id" in query.group_by:
            hospital_ids = sorted({r["hospital_id"] for r in table})
        layout = build_layout(query, hospital_ids, modulus_bits)
        values = [v for v in layout.values if v != "count_reports"]
        for r in table:
            person = r["person_id"]
            attrs = {
                "sex": sex_of(person),
                "age_band": age_band_of(person, query.hospital.end),
                "hospital_id": r["hospital_id"],
                "month": r["month"],
            }
            cell = layout.cell_index([attrs[d] for d in layout.dims])
            slots = vectors[person]
            for name in values:
                v = int(r[name])
                if clip:
                    v = min(v, CLIP[name])
                slots[layout.slot(cell, name)] = slots.get(layout.slot(cell, name), 0) + v
    elif role == CDC:
        table = cdc_rows(con, query).to_pylist()
        layout = build_layout(query, ["-"], modulus_bits)
        send = query.sends_vectors(CDC)
        for r in table:
            person = r["person_id"]
            slots = vectors[person]
            if send:
                attrs = {"sex": sex_of(person), "age_band": age_band_of(person, query.hospital.end)}
                cell = layout.cell_index([attrs[d] for d in layout.dims])
                v = int(r["count_reports"])
                slots[layout.slot(cell, "count_reports")] = (
                    min(v, CLIP["count_reports"]) if clip else v
                )
    else:
        raise ProtocolError(Text("err.products.cohort.role", role=repr(role)))
    domains = {"hospital_id": hospital_ids} if hospital_ids else {}
    return JoinVectors(dict(vectors), layout, domains)
