"""The plaintext reference for tender_lending_features.

Reads the trading centres' OCDS release packages directly with DuckDB's JSON
reader (not the OCDS connector, not the product's feature SQL; award
amounts with Python's json and decimals, converted with the centres' rate
table and summed exactly at any size, then rounded to cents once), computes
every feature per centre, and combines the centres in the clear the way the
private pipeline must: sums added, the win rate from summed wins and bids,
extremes exact for a company one centre holds and rounded to the product's
grid for one several centres hold. It sees every raw record, so it only runs
on generated data (one release per ocid, as ``tspace synth`` writes) or in
tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from products.lending.runner import FeatureRow
from products.reference_kit import read_bank_batch, release

Transform = Mapping[str, Any]

# Each feature as docs/lending.md defines it, written out here rather than
# read from the product definition: (how centres combine, decimal places,
# ratio parts, the grid an extreme of a shared company is rounded to).
DAYS_GRID = (0, 7, 30, 90, 180, 365, 730, 1095, 1826, 3650)
AMOUNT_GRID = (0, 10_000, 50_000, 100_000, 500_000, 1_000_000, 5_000_000, 10_000_000, 50_000_000)
FEATURES: dict[str, tuple[str, int, tuple[str, str] | None, tuple[int, ...]]] = {
    "bids_12m": ("sum", 0, None, ()),
    "wins_12m": ("sum", 0, None, ()),
    "win_rate_12m": ("ratio", 4, ("wins_12m", "bids_12m"), ()),
    "awarded_amount_12m": ("sum", 2, None, ()),
    "awarded_amount_36m": ("sum", 2, None, ()),
    "distinct_buyers_36m": ("sum", 0, None, ()),
    "days_since_last_award": ("min", 0, None, DAYS_GRID),
    "max_award_36m": ("max", 2, None, AMOUNT_GRID),
}

PER_CENTRE_SQL = """
WITH rel AS (
    SELECT unnest(releases) AS r
    FROM read_json($files, format = 'auto', maximum_object_size = 1073741824, sample_size = -1)
),
party AS (
    SELECT r.ocid AS ocid, p.id AS pid, 'USCC:' || upper(p.identifier.id) AS company
    FROM rel, unnest(r.parties) AS t(p)
),
tenderer AS (
    SELECT r.ocid AS ocid, t.id AS pid,
           local_date(r.tender.tenderPeriod.startDate) AS bid_date
    FROM rel, unnest(r.tender.tenderers) AS x(t)
),
award AS (
    SELECT r.ocid AS ocid, a.id AS award_id, a.status AS status,
           local_date(a.date) AS award_date,
           (SELECT m.yuan FROM amounts AS m
            WHERE m.ocid = r.ocid AND m.award_id = CAST(a.id AS VARCHAR)) AS amount,
           local_date(r.tender.tenderPeriod.startDate) AS bid_date,
           r.buyer.id AS buyer, a.suppliers AS suppliers
    FROM rel, unnest(r.awards) AS x(a)
),
supplier AS (
    SELECT a.*, s.id AS pid FROM award AS a, unnest(a.suppliers) AS y(s)
),
participation AS (
    SELECT p.company, t.ocid, t.bid_date FROM tenderer t JOIN party p USING (ocid, pid)
    UNION ALL
    SELECT p.company, s.ocid, coalesce(s.bid_date, s.award_date)
    FROM supplier s JOIN party p USING (ocid, pid)
),
win AS (
    SELECT p.company, s.ocid, s.award_id, s.award_date, s.buyer, s.amount
    FROM supplier s JOIN party p USING (ocid, pid)
    WHERE coalesce(s.status, 'active') NOT IN ('cancelled', 'unsuccessful')
      AND s.award_date <= $as_of
)
SELECT c.company,
    (SELECT count(DISTINCT ocid) FROM participation x WHERE x.company = c.company
        AND x.bid_date BETWEEN $as_of - 364 AND $as_of) AS bids_12m,
    (SELECT count(DISTINCT ocid || '|' || award_id) FROM win w WHERE w.company = c.company
        AND w.award_date BETWEEN $as_of - 364 AND $as_of) AS wins_12m,
    (SELECT list(amount) FROM win w WHERE w.company = c.company
        AND w.award_date BETWEEN $as_of - 364 AND $as_of) AS awarded_amount_12m,
    (SELECT list(amount) FROM win w WHERE w.company = c.company
        AND w.award_date BETWEEN $as_of - 1094 AND $as_of) AS awarded_amount_36m,
    (SELECT count(DISTINCT buyer) FROM win w WHERE w.company = c.company
        AND w.award_date BETWEEN $as_of - 1094 AND $as_of) AS distinct_buyers_36m,
    (SELECT $as_of - max(award_date) FROM win w
        WHERE w.company = c.company) AS days_since_last_award,
    (SELECT list(amount) FROM win w WHERE w.company = c.company
        AND w.award_date BETWEEN $as_of - 1094 AND $as_of) AS max_award_36m
FROM (SELECT DISTINCT company FROM participation) AS c
"""


# Wide enough for any amount times any rate and their sums, digit for digit
# (Python's default context keeps 28 significant digits).
EXACT = Context(prec=100)
CENT = Decimal("0.01")


def read_rates(path: Path | None) -> dict[str, Decimal]:
    """currency -> its rate to CNY, from a rate table (currency,base_currency,rate)."""
    if path is None:
        return {}
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        return {
            row["currency"].strip(): Decimal(row["rate"].strip())
            for row in csv.DictReader(fh)
            if row["base_currency"].strip() == "CNY"
        }


def exact_amounts(
    files: Sequence[str], rates: Mapping[str, Decimal]
) -> list[tuple[str, str, str | None]]:
    """(ocid, award id, amount in yuan) per award, exact and not yet rounded:
    CNY as written, another currency times its rate, None without a rate.
    DuckDB's JSON reader reads numbers as doubles, which are not exact past
    2^53 cents, so the amounts are read here with Python's json and decimals."""
    out = []
    for name in files:
        doc = json.loads(Path(name).read_text(encoding="utf-8"), parse_float=Decimal)
        for r in doc.get("releases") or []:
            for a in r.get("awards") or []:
                value = a.get("value") or {}
                amount, currency = value.get("amount"), value.get("currency")
                if amount is None:
                    continue
                if currency == "CNY":
                    yuan: Decimal | None = Decimal(str(amount))
                elif isinstance(currency, str) and currency in rates:
                    yuan = EXACT.multiply(Decimal(str(amount)), rates[currency])
                else:
                    yuan = None
                out.append((str(r["ocid"]), str(a["id"]), None if yuan is None else str(yuan)))
    return out


def to_cents(value: Decimal) -> Decimal:
    """Rounded to cents once, half up (the amounts are never negative)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)


def amounts_of(listed: Sequence[str | None] | None) -> list[Decimal]:
    return [Decimal(v) for v in listed or () if v is not None]


def exact_sum(values: Sequence[Decimal]) -> Decimal:
    total = Decimal(0)
    for v in values:
        total = EXACT.add(total, v)
    return total


def per_centre(
    folder: Path, as_of: dt.date, rates: Mapping[str, Decimal] | None = None
) -> dict[str, dict[str, Any]]:
    files = sorted(str(p) for p in Path(folder).glob("*.json"))
    with duckdb.connect() as con:
        rows = exact_amounts(files, rates or {})
        columns = {
            n: pa.array([r[i] for r in rows], pa.string())
            for i, n in enumerate(("ocid", "award_id", "yuan"))
        }
        con.register("amounts", pa.table(columns))
        # The generated timestamps carry +08:00; their date is the local date.
        con.execute("SET TimeZone = 'Asia/Shanghai'")
        con.execute("CREATE MACRO local_date(x) AS CAST(CAST(x AS TIMESTAMPTZ) AS DATE)")
        rel = con.sql(PER_CENTRE_SQL, params={"files": files, "as_of": as_of})
        names = rel.columns
        out = {}
        for row in rel.fetchall():
            company = dict(zip(names, row, strict=True))
            # The awards' amounts come back listed; summed and compared here,
            # exactly, then rounded to cents once.
            for name in ("awarded_amount_12m", "awarded_amount_36m"):
                company[name] = to_cents(exact_sum(amounts_of(company[name])))
            largest = amounts_of(company["max_award_36m"])
            company["max_award_36m"] = to_cents(max(largest)) if largest else None
            out[row[0]] = company
        return out


def combine(
    rows: Sequence[Mapping[str, Any]],
    features: Sequence[str],
    transforms: Mapping[str, Transform],
) -> dict[str, Decimal | None]:
    """The released values for a company held by ``len(rows)`` centres."""

    def value(row: Mapping[str, Any], name: str) -> Decimal | None:
        v = row[name]
        if v is None:
            return None
        return release(Decimal(str(v)), transforms.get(name))

    out: dict[str, Decimal | None] = {}
    for name in features:
        how, decimals, parts, grid = FEATURES[name]
        if how == "sum":
            out[name] = exact_sum([value(r, name) or Decimal(0) for r in rows])
        elif how == "ratio":
            assert parts is not None
            num = sum(int(r[parts[0]]) for r in rows)
            den = sum(int(r[parts[1]]) for r in rows)
            out[name] = (
                None
                if den == 0
                else (Decimal(num) / Decimal(den)).quantize(
                    Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN
                )
            )
        else:
            present = [v for v in (value(r, name) for r in rows) if v is not None]
            if not present:
                out[name] = None
            elif len(rows) == 1:
                out[name] = present[0]
            elif how == "min":
                least = min(present)
                out[name] = Decimal(next((g for g in grid if least <= g), grid[-1]))
            else:
                greatest = max(present)
                out[name] = Decimal(max(g for g in grid if g <= greatest))
    return out


def reference_features(
    *,
    centres: Sequence[Path],
    applicants: Path,
    as_of: dt.date,
    features: Sequence[str] | None = None,
    transforms: Mapping[str, Transform] | None = None,
    rates: Path | None = None,
) -> list[FeatureRow]:
    """Each applicant's bid-history features computed in plaintext in DuckDB
    on the same tender folders (``rates``: the centres' rate table, as
    ``tspace lend --rates`` takes it): the reference the private run must equal."""
    wanted = list(features or FEATURES)
    to_cny = read_rates(rates)
    tables = [per_centre(folder, as_of, to_cny) for folder in centres]
    rows: list[FeatureRow] = []
    for ref, key in read_bank_batch(applicants):
        if key is None:
            rows.append(FeatureRow(ref, "invalid_id"))
            continue
        held = [t[key] for t in tables if key in t]
        if not held:
            rows.append(FeatureRow(ref, "not_found"))
            continue
        values = combine(held, wanted, transforms or {})
        rows.append(FeatureRow(ref, "found", values))
    return rows


# -- on the tables a connector loaded ------------------------------------------

# The same features from a centre's loaded tables (tender_bids, currency_rates
# in its node.duckdb), for files the JSON reader above cannot read the way a
# publisher wrote them (records, any scheme, undated bids): written apart from
# features.sql, with amounts converted and compared in Python decimals.
TABLES_SQL = """
WITH b AS (
    SELECT supplier_key AS company, ocid, role, award_id, buyer_key, award_status,
           award_date, coalesce(tender_date, award_date) AS bid_date,
           CAST(award_amount AS VARCHAR) AS amount, currency
    FROM tender_bids
),
won AS (
    SELECT * FROM b
    WHERE role = 'supplier' AND award_date <= $as_of
      AND (award_status IS NULL OR award_status NOT IN ('cancelled', 'unsuccessful'))
)
SELECT c.company,
    (SELECT count(DISTINCT x.ocid) FROM b x WHERE x.company = c.company
        AND x.bid_date BETWEEN $as_of - 364 AND $as_of) AS bids_12m,
    (SELECT count(DISTINCT (w.ocid, coalesce(w.award_id, ''))) FROM won w
        WHERE w.company = c.company AND w.award_date BETWEEN $as_of - 364 AND $as_of) AS wins_12m,
    (SELECT list((w.amount, w.currency)) FROM won w WHERE w.company = c.company
        AND w.award_date BETWEEN $as_of - 364 AND $as_of) AS awarded_amount_12m,
    (SELECT list((w.amount, w.currency)) FROM won w WHERE w.company = c.company
        AND w.award_date BETWEEN $as_of - 1094 AND $as_of) AS awarded_amount_36m,
    (SELECT count(DISTINCT w.buyer_key) FROM won w WHERE w.company = c.company
        AND w.award_date BETWEEN $as_of - 1094 AND $as_of) AS distinct_buyers_36m,
    (SELECT $as_of - max(w.award_date) FROM won w WHERE w.company = c.company)
        AS days_since_last_award
FROM (SELECT DISTINCT company FROM b) AS c
"""


def per_centre_tables(store: Path, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """Every company of one centre's loaded tables (its node.duckdb, opened
    read-only) and its features, as ``per_centre`` gives them."""
    with duckdb.connect(str(store), read_only=True) as con:
        rates = {
            str(c): Decimal(str(r))
            for c, r in con.execute(
                "SELECT currency, CAST(rate AS VARCHAR) FROM currency_rates "
                "WHERE base_currency = 'CNY'"
            ).fetchall()
        }
        rel = con.sql(TABLES_SQL, params={"as_of": as_of})
        names = rel.columns
        fetched = rel.fetchall()

    def yuan(amount: str | None, currency: str | None) -> Decimal | None:
        if amount is None or currency is None:
            return None
        if currency == "CNY":
            return Decimal(amount)
        rate = rates.get(currency)
        return None if rate is None else EXACT.multiply(Decimal(amount), rate)

    out = {}
    for row in fetched:
        company = dict(zip(names, row, strict=True))
        converted = {
            name: [v for v in (yuan(a, c) for a, c in company[name] or ()) if v is not None]
            for name in ("awarded_amount_12m", "awarded_amount_36m")
        }
        company["awarded_amount_12m"] = to_cents(exact_sum(converted["awarded_amount_12m"]))
        company["awarded_amount_36m"] = to_cents(exact_sum(converted["awarded_amount_36m"]))
        largest = converted["awarded_amount_36m"]
        company["max_award_36m"] = to_cents(max(largest)) if largest else None
        out[row[0]] = company
    return out


def reference_from_tables(
    *,
    stores: Sequence[Path],
    applicants: Path,
    as_of: dt.date,
    features: Sequence[str] | None = None,
    transforms: Mapping[str, Transform] | None = None,
) -> list[FeatureRow]:
    """Each applicant's features computed in plaintext on the tables the
    centres' connector loaded (``stores``: each centre's node.duckdb), combined
    across centres as ``reference_features`` combines them."""
    wanted = list(features or FEATURES)
    tables = [per_centre_tables(store, as_of) for store in stores]
    rows: list[FeatureRow] = []
    for ref, key in read_bank_batch(applicants):
        held = [] if key is None else [t[key] for t in tables if key in t]
        if key is None:
            rows.append(FeatureRow(ref, "invalid_id"))
        elif not held:
            rows.append(FeatureRow(ref, "not_found"))
        else:
            rows.append(FeatureRow(ref, "found", combine(held, wanted, transforms or {})))
    return rows
