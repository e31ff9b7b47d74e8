"""Release transforms against hand-computed values: the references apply the
same function, so only known answers can catch a wrong rounding here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from products.transforms import apply_transform


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        # half-even: a tie goes to the even multiple, both ways
        ("150", 100, "200"),
        ("250", 100, "200"),
        ("350", 100, "400"),
        ("-150", 100, "-200"),
        # not a tie: the nearer multiple, never truncation
        ("149.99", 100, "100"),
        ("150.01", 100, "200"),
        ("199", 100, "200"),
        ("1999.99", 1000, "2000"),
        ("0.49", 1, "0"),
        ("0.5", 1, "0"),
        ("1.5", 1, "2"),
        ("12.345", 0.01, "12.34"),
        ("12.355", 0.01, "12.36"),
        ("0", 100, "0"),
    ],
)
def test_round_to_is_half_even_to_the_step(value: str, step: float, expected: str) -> None:
    assert apply_transform(Decimal(value), {"round_to": step}) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1", "0"),  # below the first edge: the first edge
        ("0", "0"),
        ("999.99", "0"),
        ("1000", "1000"),  # an edge belongs to the bucket it opens
        ("4999.99", "1000"),
        ("5000", "5000"),
        ("1e9", "20000"),
    ],
)
def test_buckets_release_the_lower_edge(value: str, expected: str) -> None:
    edges = [0, 1000, 5000, 20000]
    assert apply_transform(Decimal(value), {"buckets": edges}) == Decimal(expected)


def test_no_transform_releases_the_value_and_an_unknown_one_is_refused() -> None:
    assert apply_transform(Decimal("123.45"), None) == Decimal("123.45")
    assert apply_transform(Decimal("123.45"), {}) == Decimal("123.45")
    with pytest.raises(ValueError, match="unknown transform"):
        apply_transform(Decimal("1"), {"clip": 5})
