"""Fixed-point encoding: the invariant that makes encrypted sums exact."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trusted_space.core.encoding import FixedPoint, to_decimal

AMOUNTS = st.decimals(
    min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False
)


@given(AMOUNTS, AMOUNTS)
def test_sum_of_encodings_decodes_to_the_sum(a: Decimal, b: Decimal) -> None:
    fp = FixedPoint(2)
    assert fp.decode(fp.encode(a) + fp.encode(b)) == a + b


@given(AMOUNTS, st.integers(min_value=-1000, max_value=1000))
def test_integer_multiple_decodes_to_the_multiple(a: Decimal, k: int) -> None:
    fp = FixedPoint(2)
    assert fp.decode(k * fp.encode(a)) == k * a


@given(AMOUNTS)
def test_round_trip(a: Decimal) -> None:
    assert FixedPoint(2).decode(FixedPoint(2).encode(a)) == a


def test_floats_keep_their_shortest_decimal_form() -> None:
    assert FixedPoint(5).encode(0.00002) == 2
    assert FixedPoint(2).encode(0.1) == 10


def test_excess_places_are_refused_unless_rounding_is_asked_for() -> None:
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        FixedPoint(2).encode("1.005")
    assert FixedPoint(2).encode("1.005", round_excess=True) == 100  # half-even
    assert FixedPoint(2).encode("1.015", round_excess=True) == 102


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", float("nan")])
def test_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(bad)  # type: ignore[arg-type]


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(TypeError):
        to_decimal(True)


def test_decimals_out_of_range() -> None:
    with pytest.raises(ValueError):
        FixedPoint(-1)


@pytest.mark.parametrize(
    "value",
    [
        "14999999999999999970000000000.01",  # 1.5 * 10^28 yuan and a cent (issue 22, item 2)
        "-99999999999999999999999999999999999999.99",
        "1234567890123456789012345678901234567890123456789.5",
    ],
)
def test_values_past_28_digits_keep_every_digit(value: str) -> None:
    """Decimal's default context holds 28 digits: scaling a larger value
    rounded away its cents, silently."""
    fp = FixedPoint(2)
    encoded = fp.encode(value)
    assert encoded == int(value.replace(".", "")) * (10 if value.endswith(".5") else 1)
    assert fp.decode(encoded) == Decimal(value)
    with pytest.raises(ValueError, match="decimal places"):
        fp.encode(value + "01")
