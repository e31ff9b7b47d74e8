"""`tspace lend` (PSI and Paillier, test keys) on real publishers' OCDS files
loaded by the OCDS connector (issue 27, "Coverage to add").

Two trading centres: centre_a publishes the first set of real files
(../shared/data/real/ocds: Mexico's Compranet and Mexico City, Paraguay,
Portugal, the OCP example), centre_b the second set's Mexico INAI, Ukraine,
Nigeria, Colombia and Paraguay files (../shared/data/real2/ocds, Paraguay's
0-byte record among them). No real company appears at two of these
publishers, so centre_b also republishes one real Mexico City package of
centre_a, as an aggregator would: its companies are held by both centres.

The bank's batch is every company key the connector produced at either
centre, written in the forms a bank may use, plus companies no centre holds,
invalid ids and a company named twice. Every released feature must equal the
plaintext reference computed in DuckDB directly on the tables the connector
loaded (``reference_from_tables``), not with the product's feature SQL.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb

from connectors.base import LoadOptions, load_source
from connectors.identifiers import uscc_check_char
from products.lending import AMOUNT_GRID, DAYS_GRID
from products.lending.reference import reference_from_tables
from tests.cli_runner import run_tspace

AS_OF = dt.date(2017, 6, 30)
REAL2_PUBLISHERS = ("mexico-inai", "ukraine", "nigeria", "colombia", "paraguay")
REPUBLISHED = "release-package-1.json"  # Mexico City (CDMX), at both centres
# Rates to CNY; GBP has none, so the OCP example's GBP award is left out.
RATES = (
    "currency,base_currency,rate\n"
    "MXN,CNY,0.39123000\nUSD,CNY,7.12345679\nEUR,CNY,7.81000000\nUAH,CNY,0.17000000\n"
    "COP,CNY,0.00170000\nPYG,CNY,0.00093000\nNGN,CNY,0.00460000\n"
)


def linked(folder: Path, files: list[Path]) -> Path:
    """A centre's folder of links to the real files (never copies)."""
    folder.mkdir()
    for f in files:
        (folder / f.name).symlink_to(f.resolve())
    return folder


def supplier_keys(centre: Path, node: Path) -> set[str]:
    """The company keys the connector makes of a centre's files."""
    load_source("ocds", [centre], node, LoadOptions())
    with duckdb.connect(str(node / "node.duckdb"), read_only=True) as con:
        return {
            k for (k,) in con.execute("SELECT DISTINCT supplier_key FROM tender_bids").fetchall()
        }


def bank_form(key: str, i: int) -> str:
    """The key as a bank may write it: as is, a lower-case scheme with spaces,
    or Mexico's RFC under its written scheme name."""
    scheme, _, ident = key.partition(":")
    if scheme == "MX-RFC" and i % 2:
        return f"rfc:{ident}"
    return key if i % 3 == 0 else f" {scheme.lower()} : {ident} "


def cell(text: str) -> Decimal | None:
    return None if text == "" else Decimal(text)


def test_lend_on_two_centres_of_real_ocds_files_equals_the_reference(
    real_data: Path, real2_files: Path, tmp_path: Path
) -> None:
    a = linked(tmp_path / "centre_a", sorted((real_data / "ocds").glob("*.json")))
    b_files = [
        f for p in REAL2_PUBLISHERS for f in sorted((real2_files / "ocds" / p).rglob("*.json"))
    ]
    assert any(f.stat().st_size == 0 for f in b_files)  # Paraguay's 0-byte record
    b = linked(tmp_path / "centre_b", [*b_files, real_data / "ocds" / REPUBLISHED])
    keys_a = supplier_keys(a, tmp_path / "scratch_a")
    keys_b = supplier_keys(b, tmp_path / "scratch_b")
    shared = keys_a & keys_b
    assert shared and keys_a - keys_b and keys_b - keys_a
    schemes = {k.split(":")[0] for k in keys_a | keys_b}
    assert {"MX-RFC", "PT-NIPPC", "UA-EDR", "NGA-DNL", "CO-NIT", "PY-RUC"} <= schemes

    companies = sorted(keys_a | keys_b)
    rows = [(f"C{i:03d}", bank_form(k, i)) for i, k in enumerate(companies)]
    body = "91310115MA1K4QWX0"
    rows += [
        ("DUP", f"  {companies[0].lower().split(':')[0]}:{companies[0].split(':', 1)[1]}"),
        ("NOT_HELD_1", "GB-COH:99999999"),
        ("NOT_HELD_2", body + uscc_check_char(body)),
        ("BAD_BARE", "12345"),
        ("BAD_EMPTY", "MX-RFC:"),
    ]
    bank = tmp_path / "bank.csv"
    bank.write_text(
        "company_ref,company_id\n" + "".join(f'{r},"{c}"\n' for r, c in rows), encoding="utf-8"
    )
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES, encoding="utf-8")
    out, work = tmp_path / "features.csv", tmp_path / "work"
    result = run_tspace(
        "lend", "--tenders", str(a), "--tenders", str(b), "--applicants", str(bank),
        "--as-of", AS_OF.isoformat(), "--out", str(out), "--workdir", str(work),
        "--rates", str(rates),
        env={"TSPACE_TEST_ONLY_PAILLIER_1024": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # the 0-byte record is a file-level rejection named in centre_b's summary
    assert "283826.json" in result.stdout
    for centre in ("centre_a", "centre_b"):
        assert f"{centre}: read " in result.stdout

    with out.open(encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    features = [c for c in got[0] if c not in ("company_ref", "status", "detail")]
    assert len(features) == 8
    stores = [work / "nodes" / c / "node.duckdb" for c in ("centre_a", "centre_b")]
    reference = reference_from_tables(stores=stores, applicants=bank, as_of=AS_OF)
    assert [r["company_ref"] for r in got] == [r.company_ref for r in reference]
    for row, ref in zip(got, reference, strict=True):
        assert row["status"] == ref.status, (row, ref)
        assert {f: cell(row[f]) for f in features} == {f: ref.values.get(f) for f in features}, row[
            "company_ref"
        ]

    status = {r["company_ref"]: r["status"] for r in got}
    assert all(status[f"C{i:03d}"] == "found" for i in range(len(companies)))
    assert (
        status["DUP"] == "found" and got[-5]["awarded_amount_36m"] == got[0]["awarded_amount_36m"]
    )
    assert [status[r] for r in ("NOT_HELD_1", "NOT_HELD_2")] == ["not_found"] * 2
    assert [status[r] for r in ("BAD_BARE", "BAD_EMPTY")] == ["invalid_id"] * 2

    # The run is not vacuous: converted amounts, wins in both windows, and
    # the companies both centres hold released on the product's grids.
    by_key = {companies[i]: got[i] for i in range(len(companies))}
    assert sum(cell(r["awarded_amount_12m"]) or 0 for r in by_key.values()) > 0
    assert sum(int(r["wins_12m"]) for r in by_key.values()) >= 3
    assert any(int(r["bids_12m"]) > int(r["wins_12m"]) for r in by_key.values())
    for key in shared:
        row = by_key[key]
        assert int(cell(row["days_since_last_award"]) or 0) in DAYS_GRID, row
        assert row["max_award_36m"] == "" or cell(row["max_award_36m"]) in AMOUNT_GRID, row
    assert any(cell(by_key[k]["max_award_36m"]) is not None for k in shared)


def test_the_reference_on_loaded_tables_against_figures_by_hand(tmp_path: Path) -> None:
    """``reference_from_tables`` on a few rows written here, every figure by hand."""
    store = tmp_path / "node.duckdb"
    with duckdb.connect(str(store)) as con:
        con.execute(
            "CREATE TABLE tender_bids (supplier_key VARCHAR, ocid VARCHAR, role VARCHAR, "
            "award_id VARCHAR, buyer_key VARCHAR, award_status VARCHAR, tender_date DATE, "
            "award_date DATE, award_amount DECIMAL(18,2), currency VARCHAR)"
        )
        con.execute(
            "CREATE TABLE currency_rates (currency VARCHAR, base_currency VARCHAR, "
            "rate DECIMAL(18,8))"
        )
        con.execute("INSERT INTO currency_rates VALUES ('USD', 'CNY', 7.12345679)")
        con.executemany(
            "INSERT INTO tender_bids VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                # bid 2017-06-01, won 2017-06-20: 100.01 USD
                ("X:1", "o1", "tenderer", None, None, None, "2017-06-01", None, None, None),
                ("X:1", "o1", "supplier", "a1", "B:1", "active", "2017-06-01", "2017-06-20",
                 "100.01", "USD"),
                # 365 days before as_of: outside 12 months, inside 36; no status
                ("X:1", "o2", "supplier", "a1", "B:2", None, None, "2016-06-30", "5000.00", "CNY"),
                # unsuccessful, and one after as_of: bids, never wins
                ("X:1", "o3", "supplier", "a1", "B:1", "unsuccessful", "2017-01-01",
                 "2017-02-01", "9.99", "CNY"),
                ("X:1", "o4", "supplier", "a1", "B:1", "active", "2017-06-29", "2017-07-01",
                 "9.99", "CNY"),
                # no rate: a win without an amount
                ("X:1", "o5", "supplier", "a1", "B:3", "pending", None, "2017-03-01", "1.00",
                 "GBP"),
                # undated tenderer only
                ("X:2", "o6", "tenderer", None, None, None, None, None, None, None),
            ],
        )  # fmt: skip
    bank = tmp_path / "bank.csv"
    bank.write_text("company_ref,company_id\nr1,x:1\nr2,X:2\nr3,X:3\nr4,12\n", encoding="utf-8")
    got = reference_from_tables(stores=[store], applicants=bank, as_of=AS_OF)
    usd = Decimal("712.42")  # 100.01 * 7.12345679 = 712.4169135679, half up
    assert [(r.company_ref, r.status) for r in got] == [
        ("r1", "found"), ("r2", "found"), ("r3", "not_found"), ("r4", "invalid_id"),
    ]  # fmt: skip
    assert got[0].values == {
        "bids_12m": 4,  # o1, o3, o4 (bid 2017-06-29), o5 (award 2017-03-01); not o2
        "wins_12m": 2,  # o1, o5
        "win_rate_12m": Decimal("0.5000"),
        "awarded_amount_12m": usd,
        "awarded_amount_36m": usd + Decimal("5000.00"),
        "distinct_buyers_36m": 3,  # B:1, B:2, B:3
        "days_since_last_award": 10,  # 2017-06-20
        "max_award_36m": Decimal("5000.00"),
    }
    assert got[1].values["bids_12m"] == 0 and got[1].values["days_since_last_award"] is None
