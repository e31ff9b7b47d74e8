"""The references' own small functions against hand-computed values: they
are what the private path is checked with, so they are checked by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from products.reference_kit import (
    band_of,
    company_key,
    logistic,
    read_bank_batch,
    read_model,
    release,
    uscc_valid,
)


@pytest.mark.parametrize(
    ("value", "transform", "expected"),
    [
        ("150", {"round_to": 100}, "200"),
        ("250", {"round_to": 100}, "200"),
        ("149.99", {"round_to": 100}, "100"),
        ("1999.99", {"round_to": 1000}, "2000"),
        ("-150", {"round_to": 100}, "-200"),
        ("12.345", {"round_to": 0.01}, "12.34"),
        ("999.99", {"buckets": [0, 1000, 5000]}, "0"),
        ("1000", {"buckets": [0, 1000, 5000]}, "1000"),
        ("-5", {"buckets": [0, 1000, 5000]}, "0"),
        ("7", None, "7"),
    ],
)
def test_release(value: str, transform: dict | None, expected: str) -> None:  # type: ignore[type-arg]
    assert release(Decimal(value), transform) == Decimal(expected)


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0.0, 0.5), (2.0, 0.8807970779778823), (-2.0, 0.11920292202211755), (800.0, 1.0)],
)
def test_logistic(score: float, expected: float) -> None:
    assert logistic(score) == pytest.approx(expected, rel=1e-12)
    assert logistic(-800.0) == pytest.approx(0.0, abs=1e-300)


def test_bands() -> None:
    bands = [("A", 0.05), ("B", 0.1), ("E", 1.0)]
    assert [band_of(bands, p) for p in (0.0, 0.05, 0.0500001, 0.1, 0.5, 1.0)] == [
        "A",
        "A",
        "B",
        "B",
        "E",
        "E",
    ]


def test_read_model(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps({"intercept": -3.0, "weights": {"a": 0.08}, "bands": [["A", 0.5], ["B", 1]]})
    )
    model = read_model(path)
    assert model.intercept == Decimal("-3.0") and model.weights == {"a": Decimal("0.08")}
    assert model.bands == [("A", 0.5), ("B", 1.0)]


# 91350100M000100Y43: a well-known valid USCC (check character 3)
VALID = "91350100M000100Y43"


def test_uscc_and_company_keys(tmp_path: Path) -> None:
    assert uscc_valid(VALID)
    assert not uscc_valid(VALID[:17] + "4")  # wrong check character
    assert not uscc_valid(VALID.replace("M", "O"))  # O is not in the charset
    assert company_key(f" {VALID.lower()} ") == f"USCC:{VALID}"
    assert company_key(f"CN-USCC:{VALID}") == f"USCC:{VALID}"
    assert company_key("mx-rfc:ABC123") == "MX-RFC:ABC123"
    assert company_key("RFC:ABC123") == "MX-RFC:ABC123"
    assert company_key(" Nit de  Persona Natural : 1012362575-0") == (
        "NIT DE PERSONA NATURAL:1012362575-0"
    )
    assert company_key(VALID[:17] + "4") is None
    batch = tmp_path / "b.csv"
    batch.write_text(f"company_ref,company_id\nr1,{VALID}\nr2,bad\n", encoding="utf-8-sig")
    assert read_bank_batch(batch) == [("r1", f"USCC:{VALID}"), ("r2", None)]


def test_uscc_known_answers() -> None:
    """The known-answer vectors of tests/vectors/uscc.csv, on their normalised form."""
    import csv

    path = Path(__file__).resolve().parents[1] / "vectors" / "uscc.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 10
    for row in rows:
        assert uscc_valid(row["normalised"]) == (row["valid"] == "true"), row["case"]


def test_the_cohort_references_own_months_and_code_ranges() -> None:
    import datetime as dt

    from products.cohort.reference import AGE_BANDS, _months, _ranges

    assert _months(dt.date(2025, 11, 15), dt.date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert _months(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == ["2026-03"]
    assert _ranges("E10-E14,I10") == [("E10", "E14"), ("I10", "I10")]
    assert AGE_BANDS[0] == "0-9" and AGE_BANDS[9] == "90-99" and AGE_BANDS[10] == "100+"
