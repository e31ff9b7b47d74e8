"""tender_lending_features on what real publishers write (issue 23, items
1, 3 and 5): awards of 10^8 yuan and far past 10^15, a bank's batch that
names one company twice, and buyers shared by two centres.

Each centre is a minimal OCDS release package written here; the private run
must equal the plaintext reference (products/lending/reference.py) and the
figures counted by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any

from connectors.identifiers import uscc_check_char
from products.lending import TENDER_LENDING
from products.lending.reference import reference_features
from products.lending.runner import run_lending
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024

AS_OF = dt.date(2026, 10, 31)


def uscc(n: int) -> str:
    body = f"91310115{n:09d}"
    return body + uscc_check_char(body)


def release(ocid: str, buyer: str, winner: str, amount: str, currency: str = "CNY") -> str:
    """One awarded tender as JSON text; ``amount`` is written as the number it is."""
    doc: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": "2026-09-01T10:00:00+08:00",
        "tag": ["tender", "award"],
        "buyer": {"id": "B", "name": "采购人"},
        "parties": [
            {"id": "B", "name": "采购人", "identifier": {"scheme": "CN-USCC", "id": buyer}},
            {"id": "S", "name": "中标人", "identifier": {"scheme": "CN-USCC", "id": winner}},
        ],
        "tender": {
            "id": "T",
            "tenderPeriod": {"startDate": "2026-08-01T09:00:00+08:00"},
            "tenderers": [{"id": "S"}],
        },
        "awards": [
            {
                "id": "A1",
                "date": "2026-09-01T10:00:00+08:00",
                "status": "active",
                "value": {"amount": "AMOUNT", "currency": currency},
                "suppliers": [{"id": "S"}],
            }
        ],
    }
    # The amount as a JSON number with every digit, not a float's rounding.
    return json.dumps(doc, ensure_ascii=False).replace('"AMOUNT"', amount)


def centre(folder: Path, releases: list[str]) -> Path:
    folder.mkdir(parents=True)
    text = '{"uri": "t", "version": "1.1", "releases": [' + ",".join(releases) + "]}"
    (folder / "releases.json").write_text(text, encoding="utf-8")
    return folder


def batch(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["company_ref,company_id", *(f"{ref},{cid}" for ref, cid in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lend(tmp: Path, centres: list[Path], applicants: Path, **kw: Any):  # type: ignore[no-untyped-def]
    return run_lending(
        workdir=tmp / "work",
        tenders=centres,
        applicants=applicants,
        as_of=AS_OF,
        out=tmp / "features.csv",
        paillier_preset=TEST_ONLY_PAILLIER_1024,
        **kw,
    )


# (company, amount written in the file, currency, what the bank must read in yuan)
AMOUNTS = [
    (uscc(1), "99999999.99", "CNY", Decimal("99999999.99")),  # just below 1亿
    (uscc(2), "100000000.00", "CNY", Decimal("100000000.00")),  # 1亿: overflowed
    (uscc(3), "1762803241.34", "MXN", Decimal("689661512.11")),  # the real Mexican award
    (uscc(4), "1000000000000000.01", "CNY", Decimal("1000000000000000.01")),  # 10^15
    (uscc(5), "9999999999999999.99", "USD", Decimal("71234567899999999.93")),  # far past
]
RATES = "currency,base_currency,rate\nMXN,CNY,0.39123000\nUSD,CNY,7.12345679\n"


def test_awards_of_a_hundred_million_yuan_and_far_past_10_to_15_are_exact(
    tmp_path: Path,
) -> None:
    buyer = uscc(900)
    a = centre(
        tmp_path / "centre_a",
        [
            release(f"ocds-big-{i}", buyer, c, amt, cur)
            for i, (c, amt, cur, _) in enumerate(AMOUNTS)
        ],
    )
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES, encoding="utf-8")
    applicants = batch(tmp_path / "bank.csv", [(f"R{i}", c) for i, (c, *_) in enumerate(AMOUNTS)])
    run = lend(tmp_path, [a], applicants, rates=rates)
    assert not run.quality["centre_a"].rejections
    got = {r.company_ref: r for r in run.rows}
    for i, (_, amount, currency, yuan) in enumerate(AMOUNTS):
        row = got[f"R{i}"]
        assert row.status == "found"
        # by hand: the amount times the rate, rounded to cents once
        rate = {"CNY": Decimal(1), "MXN": Decimal("0.39123"), "USD": Decimal("7.12345679")}
        assert yuan == (Decimal(amount) * rate[currency]).quantize(Decimal("0.01"))
        assert row.values["awarded_amount_36m"] == yuan, (i, row.values)
        assert row.values["awarded_amount_12m"] == yuan
        assert row.values["max_award_36m"] == yuan
    # The plaintext reference converts with the same rate table, in Python
    # decimals: it must agree on every row, the converted ones included.
    reference = {
        r.company_ref: r
        for r in reference_features(centres=[a], applicants=applicants, as_of=AS_OF, rates=rates)
    }
    for i, (_, _, _, yuan) in enumerate(AMOUNTS):
        assert reference[f"R{i}"].values["awarded_amount_36m"] == yuan
        assert reference[f"R{i}"].values == got[f"R{i}"].values


def test_sums_past_10_to_28_yuan_are_exact_to_the_cent(tmp_path: Path) -> None:
    """Issue 22, item 2: the conversion was exact in DECIMAL(38, 10), but a
    company's sum of 150 of the largest awards a centre can load (16 integer
    digits) at the largest rate it can load (10 integer digits) passes 10^28
    yuan: DuckDB raised "Overflow" inside the centre's feature SQL, and under
    ``tspace node`` the process died. Now the sum is exact to the cent, one
    cent award included, and equals the reference and the sum by hand."""
    buyer, big = uscc(900), uscc(30)
    amount, rate = "9999999999999999.99", "9999999999.99999999"
    releases = [release(f"ocds-huge-{i}", buyer, big, amount, "USD") for i in range(150)]
    releases.append(release("ocds-cent", buyer, big, "0.01"))
    a = centre(tmp_path / "centre_a", releases)
    rates = tmp_path / "rates.csv"
    rates.write_text(f"currency,base_currency,rate\nUSD,CNY,{rate}\n", encoding="utf-8")
    applicants = batch(tmp_path / "bank.csv", [("BIG", big)])
    run = lend(tmp_path, [a], applicants, rates=rates)
    assert not run.quality["centre_a"].rejections
    exact = Context(prec=100)
    one = exact.multiply(Decimal(amount), Decimal(rate))
    total = exact.add(exact.multiply(one, Decimal(150)), Decimal("0.01"))
    by_hand = total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=exact)
    assert by_hand > Decimal(10) ** 28
    (row,) = run.rows
    assert row.status == "found"
    assert row.values["awarded_amount_12m"] == by_hand, row.values
    assert row.values["awarded_amount_36m"] == by_hand
    assert row.values["max_award_36m"] == one.quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP, context=exact
    )
    assert row.values["wins_12m"] == 151
    (reference,) = reference_features(centres=[a], applicants=applicants, as_of=AS_OF, rates=rates)
    assert reference.values == row.values


def test_a_company_named_twice_in_the_batch_is_answered_on_every_row(tmp_path: Path) -> None:
    buyer, company, other = uscc(900), uscc(10), uscc(11)
    a = centre(tmp_path / "centre_a", [release("ocds-dup-1", buyer, company, "1000.00")])
    # one company four times: as written, lower-case, under a scheme, spaced
    applicants = batch(
        tmp_path / "bank.csv",
        [
            ("R1", company),
            ("R2", other),
            ("R3", company.lower()),
            ("R4", f"CN-USCC:{company}"),
            ("R5", f"uscc: {company[:9]} {company[9:]}"),
            ("R6", other),
        ],
    )
    run = lend(tmp_path, [a], applicants)
    assert [(r.company_ref, r.status) for r in run.rows] == [
        ("R1", "found"),
        ("R2", "not_found"),
        ("R3", "found"),
        ("R4", "found"),
        ("R5", "found"),
        ("R6", "not_found"),
    ]
    first = run.rows[0].values
    assert first["awarded_amount_36m"] == Decimal("1000.00")
    assert all(r.values == first for r in run.rows if r.status == "found")
    assert run.holders == {"R1": 1, "R2": 0, "R3": 1, "R4": 1, "R5": 1, "R6": 0}
    reference = reference_features(centres=[a], applicants=applicants, as_of=AS_OF)
    assert [(r.company_ref, r.status, r.values) for r in reference] == [
        (r.company_ref, r.status, r.values) for r in run.rows
    ]


def test_a_bid_without_a_usable_date_is_in_no_window(tmp_path: Path) -> None:
    """No tender period: the release's date (inside the window) is not a bid
    date; the winner's bid is dated by its award, the loser's by nothing."""
    buyer, winner, loser = uscc(900), uscc(20), uscc(21)
    doc = json.loads(release("ocds-undated-1", buyer, winner, "500.00"))
    doc["date"] = "2026-10-01T00:00:00+08:00"
    # a period without dates (the reference's typed JSON reader needs the key)
    doc["tender"] = {
        "id": "T",
        "tenderPeriod": {"startDate": None},
        "tenderers": [{"id": "S"}, {"id": "L"}],
    }
    doc["parties"].append(
        {"id": "L", "name": "落标人", "identifier": {"scheme": "CN-USCC", "id": loser}}
    )
    doc["awards"][0]["date"] = "2025-01-15T10:00:00+08:00"
    a = centre(tmp_path / "centre_a", [json.dumps(doc, ensure_ascii=False)])
    applicants = batch(tmp_path / "bank.csv", [("W", winner), ("L", loser)])
    run = lend(tmp_path, [a], applicants)
    assert any("without a usable date" in w for w in run.quality["centre_a"].warnings)
    got = {r.company_ref: r for r in run.rows}
    assert got["L"].status == "found"
    assert got["L"].values["bids_12m"] == 0  # was 1: the release's date
    assert got["W"].values["bids_12m"] == 0  # bid dated 2025-01-15, outside
    assert got["W"].values["wins_12m"] == 0
    assert got["W"].values["awarded_amount_36m"] == Decimal("500.00")
    reference = reference_features(centres=[a], applicants=applicants, as_of=AS_OF)
    assert [(r.company_ref, r.values) for r in reference] == [
        (r.company_ref, r.values) for r in run.rows
    ]


def test_distinct_buyers_across_centres_is_the_documented_upper_bound(tmp_path: Path) -> None:
    """One buyer awards the company at both centres: one distinct buyer, two
    by the sum of the centres' counts, which the product names an upper bound."""
    buyer, other, company = uscc(900), uscc(901), uscc(30)
    a = centre(
        tmp_path / "centre_a",
        [release("ocds-a-1", buyer, company, "10.00"), release("ocds-a-2", other, company, "1")],
    )
    b = centre(tmp_path / "centre_b", [release("ocds-b-1", buyer, company, "20.00")])
    applicants = batch(tmp_path / "bank.csv", [("C", company)])
    run = lend(tmp_path, [a, b], applicants)
    assert run.holders == {"C": 2}
    assert run.rows[0].values["distinct_buyers_36m"] == 3  # truly 2: {buyer, other}
    one = lend(tmp_path / "one", [a], applicants)
    assert one.rows[0].values["distinct_buyers_36m"] == 2  # one centre: exact
    feature = TENDER_LENDING.feature("distinct_buyers_36m")
    assert "upper bound" in feature.label_en and "上限" in feature.label_zh
    doc = (Path(__file__).resolve().parents[2] / "docs" / "lending.md").read_text("utf-8")
    assert "**upper bound**" in doc
