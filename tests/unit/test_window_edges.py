"""Every window edge of the underwriting and lending features, both sides.

One person (or company) per edge, on generated rows placed exactly on the
edge and one day past it; the expected figures are counted by hand here.
The product's feature SQL (what providers run) and the plaintext reference
(an independent formulation) must each give them: generated data rarely
lands on an edge, so an off-by-one in either would otherwise pass.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.identifiers import resident_id_check_char
from products.registry import get_product

AS_OF = dt.date(2026, 6, 30)


def _pid(n: int) -> str:
    first17 = f"11010519800101{n:03d}"
    return first17 + resident_id_check_char(first17)


def _day(offset: int) -> dt.date:
    return AS_OF + dt.timedelta(days=offset)


# person -> (visit date offsets from as_of, expected visits_12m)
# The 12-month window is (as_of - 365, as_of]: -364 and 0 are in, -365 and +1 out.
VISITS = {
    _pid(1): ([0], 1),
    _pid(2): ([1], 0),
    _pid(3): ([-364], 1),
    _pid(4): ([-365], 0),
    _pid(5): ([-365, -364, 0, 1], 2),
}
# person -> (confirmed report offsets, expected notifiable_reports_5y)
# The five-year window is (as_of - 1826, as_of]: -1825 and 0 are in.
REPORTS = {
    _pid(11): ([-1825], 1),
    _pid(12): ([-1826], 0),
    _pid(13): ([0], 1),
    _pid(14): ([1], 0),
    _pid(15): ([-1826, -1825, 0, 1], 2),
}
# person -> (registration offsets, expected chronic_registered): on or before as_of
REGISTRY = {_pid(21): ([0], 1), _pid(22): ([1], 0), _pid(23): ([-4000, 0, 1], 2)}


def _hospital_rows() -> list[dict[str, Any]]:
    rows = []
    for pid, (offsets, _) in VISITS.items():
        for i, off in enumerate(offsets):
            rows.append(
                {
                    "visit_id": f"{pid}-{i}",
                    "person_id": pid,
                    "visit_date": _day(off),
                    "visit_type": "outpatient",
                    "discharge_date": None,
                    "total_cost": Decimal("100.00"),
                    "icd10": "J06.9",
                }
            )
    return rows


def _report_rows() -> list[dict[str, Any]]:
    return [
        {
            "report_id": f"{pid}-{i}",
            "person_id": pid,
            "disease_icd10": "A09",
            "report_date": _day(off),
            "case_status": "confirmed",
        }
        for pid, (offsets, _) in REPORTS.items()
        for i, off in enumerate(offsets)
    ]


def _registry_rows() -> list[dict[str, Any]]:
    return [
        {
            "registry_id": f"{pid}-{i}",
            "person_id": pid,
            "condition": "diabetes",
            "registered_date": _day(off),
        }
        for pid, (offsets, _) in REGISTRY.items()
        for i, off in enumerate(offsets)
    ]


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, Any]]) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows)
    con.register(f"{name}_frame", frame)
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")


def _product_features(role: str, subjects: list[str], tables: dict[str, Any]) -> dict[str, Any]:
    sql = get_product("underwriting_score").feature_sql(role)
    with duckdb.connect() as con:
        for name, rows in tables.items():
            _table(con, name, rows)
        _table(con, "subjects", [{"handle": s, "subject": s} for s in subjects])
        rel = con.sql(sql, params={"as_of": AS_OF})
        names = rel.columns
        return {row[0]: dict(zip(names, row, strict=True)) for row in rel.fetchall()}


def test_hospital_window_edges_in_the_providers_sql() -> None:
    got = _product_features("hospital", list(VISITS), {"hospital_visits": _hospital_rows()})
    assert {p: got[p]["visits_12m"] for p in VISITS} == {p: n for p, (_, n) in VISITS.items()}
    assert {p: got[p]["cost_12m"] for p in VISITS} == {
        p: Decimal(100) * n for p, (_, n) in VISITS.items()
    }


def test_cdc_window_edges_in_the_providers_sql() -> None:
    people = list(REPORTS) + list(REGISTRY)
    got = _product_features(
        "cdc",
        people,
        {
            "cdc_case_reports": _report_rows(),
            "cdc_chronic_registry": _registry_rows(),
        },
    )
    assert {p: got[p]["notifiable_reports_5y"] for p in REPORTS} == {
        p: n for p, (_, n) in REPORTS.items()
    }
    assert {p: got[p]["chronic_registered"] for p in REGISTRY} == {
        p: n for p, (_, n) in REGISTRY.items()
    }


def _write(path: Path, rows: list[dict[str, Any]], header: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in header})
    return path


def test_every_edge_in_the_plaintext_reference(tmp_path: Path) -> None:
    from products.underwriting.reference import reference_features

    people = list(VISITS) + list(REPORTS) + list(REGISTRY)
    hospital = _write(tmp_path / "h.csv", _hospital_rows(), list(_hospital_rows()[0]))
    reports = _write(tmp_path / "r.csv", _report_rows(), list(_report_rows()[0]))
    registry = _write(tmp_path / "g.csv", _registry_rows(), list(_registry_rows()[0]))
    applicants = _write(
        tmp_path / "a.csv",
        [{"applicant_ref": p, "person_id": p} for p in people],
        ["applicant_ref", "person_id"],
    )
    rows = reference_features(
        hospital=hospital, reports=reports, registry=registry, applicants=applicants, as_of=AS_OF
    )
    got = {r["applicant_ref"]: r for r in rows}
    assert all(r["err"] is None for r in rows)
    for pid, (_, n) in VISITS.items():
        assert got[pid]["visits_12m"] == n, pid
    for pid, (_, n) in REPORTS.items():
        assert got[pid]["notifiable_reports_5y"] == n, pid
    for pid, (_, n) in REGISTRY.items():
        assert got[pid]["chronic_registered"] == n, pid


# Lending: bids count in (as_of - 365, as_of]; wins need an award on or before
# as_of; 12-month awards (as_of - 365, as_of]; 36-month ones (as_of - 1095, as_of].
# company -> (award offsets) -> expected (bids_12m, wins_12m, awarded_amount_36m)
AWARDS = {
    "C1": ([0], (1, 1, Decimal(1000))),
    "C2": ([1], (0, 0, Decimal(0))),
    "C3": ([-364], (1, 1, Decimal(1000))),
    "C4": ([-365], (0, 0, Decimal(1000))),
    "C5": ([-1094], (0, 0, Decimal(1000))),
    "C6": ([-1095], (0, 0, Decimal(0))),
}


def _lending(rows: list[dict[str, Any]], rates: list[tuple[str, str, str]]) -> dict[str, Any]:
    """The centre's feature SQL over ``rows`` (tender_bids) and ``rates``
    (currency, base, rate), by company."""
    sql = get_product("tender_lending_features").feature_sql("centre")
    with duckdb.connect() as con:
        _table(con, "tender_bids_frame", rows)
        # tender_date as a DATE even when every row's is None (pandas gives objects)
        con.execute(
            "CREATE TABLE tender_bids AS SELECT * REPLACE (CAST(tender_date AS DATE) AS "
            "tender_date) FROM tender_bids_frame"
        )
        con.execute(
            "CREATE TABLE currency_rates (currency VARCHAR, base_currency VARCHAR, "
            "rate DECIMAL(18, 8))"
        )
        for currency, base, rate in rates:
            con.execute("INSERT INTO currency_rates VALUES (?, ?, ?)", [currency, base, rate])
        companies = sorted({r["supplier_key"] for r in rows})
        _table(con, "subjects", [{"handle": c, "subject": c} for c in companies])
        rel = con.sql(sql, params={"as_of": AS_OF})
        return {r[0]: dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()}


def test_lending_window_edges_in_the_providers_sql() -> None:
    rows = [
        {
            "bid_id": f"{c}|supplier|a|{c}",
            "supplier_key": c,
            "ocid": f"ocds-{c}",
            "award_id": "a",
            "buyer_key": "B1",
            "role": "supplier",
            "tender_date": None,
            "award_date": _day(offsets[0]),
            "award_amount": Decimal("1000.00"),
            "currency": "CNY",
            "award_status": "active",
        }
        for c, (offsets, _) in AWARDS.items()
    ]
    got = _lending(rows, [])
    for company, (_, (bids, wins, amount_36m)) in AWARDS.items():
        row = got[company]
        assert (row["bids_12m"], row["wins_12m"], row["awarded_amount_36m"]) == (
            bids,
            wins,
            amount_36m,
        ), company
        # the 12-month amount has the wins' window, the buyers the 36-month one
        assert row["awarded_amount_12m"] == Decimal(1000) * wins, company
        assert row["distinct_buyers_36m"] == (1 if amount_36m else 0), company


def test_lending_counts_are_distinct() -> None:
    """One tender bid for as tenderer and won as supplier is one bid; two
    awards of one tender are two wins; one buyer twice is one buyer."""
    base = {
        "supplier_key": "D1",
        "ocid": "ocds-D1",
        "buyer_key": "B1",
        "tender_date": AS_OF - dt.timedelta(days=30),
        "award_date": AS_OF - dt.timedelta(days=10),
        "award_amount": Decimal("500.00"),
        "currency": "CNY",
        "award_status": "active",
    }
    rows = [
        {**base, "bid_id": "t", "role": "tenderer", "award_id": None, "award_date": None},
        {**base, "bid_id": "s1", "role": "supplier", "award_id": "a1"},
        {**base, "bid_id": "s2", "role": "supplier", "award_id": "a2"},
    ]
    row = _lending(rows, [])["D1"]
    assert (row["bids_12m"], row["wins_12m"], row["distinct_buyers_36m"]) == (1, 2, 1)
    assert row["awarded_amount_12m"] == Decimal(1000)


def _award(company: str, n: int, offset: int, amount: str, currency: str = "CNY") -> dict[str, Any]:
    return {
        "bid_id": f"{company}|{n}",
        "supplier_key": company,
        "ocid": f"ocds-{company}-{n}",
        "award_id": "a",
        "buyer_key": f"B{n}",
        "role": "supplier",
        "tender_date": _day(offset),
        "award_date": _day(offset),
        "award_amount": Decimal(amount),
        "currency": currency,
        "award_status": "active",
    }


def test_lending_edge_awards_beside_awards_inside_the_window() -> None:
    """An award just outside a window beside one inside it: each sum, the
    maximum and the buyers take only the inside one. The amounts are in fen
    and in a remainder below a fen (a rate of 7.000003 leaves 0.3 fen an
    award), and each window is written on both parts: an edge moved on one
    part alone changes the rounding (0.3 + 0.3 fen rounds up, 0.3 does not).
    Two rates to CNY in the table: each award meets only its own."""
    rows = [
        # 12 months: -365 is out, -100 in.
        _award("E1", 1, -365, "5000.00"),
        _award("E1", 2, -100, "1000.00"),
        # 36 months: -1095 is out, -100 in; the one outside is the larger.
        _award("E2", 1, -1095, "5000.00"),
        _award("E2", 2, -100, "1000.00"),
        # The same in USD at 7.000003: 1000 USD = 7000.00 yuan and 0.3 fen.
        _award("E3", 1, -365, "1000.00", "USD"),
        _award("E3", 2, -100, "1000.00", "USD"),
        _award("E4", 1, -1095, "1000.00", "USD"),
        _award("E4", 2, -100, "1000.00", "USD"),
    ]
    rates = [("USD", "CNY", "7.00000300"), ("EUR", "CNY", "7.80000000"), ("CNY", "USD", "0.14")]
    got = _lending(rows, rates)
    expected = {
        # bids_12m, wins_12m, 12-month amount, 36-month amount, buyers, max award
        "E1": (1, 1, Decimal("1000.00"), Decimal("6000.00"), 2, Decimal("5000.00")),
        "E2": (1, 1, Decimal("1000.00"), Decimal("1000.00"), 1, Decimal("1000.00")),
        "E3": (1, 1, Decimal("7000.00"), Decimal("14000.01"), 2, Decimal("7000.00")),
        "E4": (1, 1, Decimal("7000.00"), Decimal("7000.00"), 1, Decimal("7000.00")),
    }
    for company, want in expected.items():
        row = got[company]
        assert (
            row["bids_12m"],
            row["wins_12m"],
            row["awarded_amount_12m"],
            row["awarded_amount_36m"],
            row["distinct_buyers_36m"],
            row["max_award_36m"],
        ) == want, company


@pytest.mark.parametrize("role", ["hospital", "cdc"])
def test_the_edges_are_really_edges(role: str) -> None:
    """A positive control: one day further out on each side changes the count."""
    if role == "hospital":
        shifted = [
            dict(r, visit_date=r["visit_date"] - dt.timedelta(days=1)) for r in _hospital_rows()
        ]
        got = _product_features(role, list(VISITS), {"hospital_visits": shifted})
        assert got[_pid(3)]["visits_12m"] == 0  # -364 moved to -365: out
        assert got[_pid(2)]["visits_12m"] == 1  # +1 moved to 0: in
    else:
        shifted = [
            dict(r, report_date=r["report_date"] - dt.timedelta(days=1)) for r in _report_rows()
        ]
        got = _product_features(
            role,
            list(REPORTS),
            {"cdc_case_reports": shifted, "cdc_chronic_registry": _registry_rows()},
        )
        assert got[_pid(11)]["notifiable_reports_5y"] == 0
        assert got[_pid(14)]["notifiable_reports_5y"] == 1


# Chronic diagnosis groups: one group however many visits carry it; C00-C97
# are neoplasms (C97 the last), other chapters and D codes are not.
DX = {
    _pid(31): (["E11.9", "E11.2", "E14"], 1),  # diabetes three times: one group
    _pid(32): (["C97"], 1),  # the last malignant neoplasm category
    _pid(33): (["A09", "D00.1", "J06.9"], 0),  # not chronic groups here
    _pid(34): (["I10", "N18.3", "J44.1", "C50.9", "E10"], 5),
}


def test_chronic_groups_in_the_providers_sql() -> None:
    rows = [
        {
            "visit_id": f"{pid}-{i}",
            "person_id": pid,
            "visit_date": AS_OF,
            "visit_type": "outpatient",
            "discharge_date": None,
            "total_cost": Decimal("1.00"),
            "icd10": code,
        }
        for pid, (codes, _) in DX.items()
        for i, code in enumerate(codes)
    ]
    got = _product_features("hospital", list(DX), {"hospital_visits": rows})
    assert {p: got[p]["chronic_dx_groups"] for p in DX} == {p: n for p, (_, n) in DX.items()}
