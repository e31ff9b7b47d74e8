"""Whole feature columns encoded in numpy equal the per-row path, or step aside."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from products.transforms import apply_transform
from trusted_space.bulk.fixed_columns import encode_column, weighted_sum
from trusted_space.core.encoding import FixedPoint, to_decimal


def per_row(column: pa.Array | pa.ChunkedArray, decimals: int, transform: Any) -> list[int] | None:
    """The provider's per-row path: None for a null, else the transform, then
    the encoding; None as a whole when it refuses a value."""
    out = []
    for value in column.to_pylist():
        if value is None:
            out.append(0)
            continue
        try:
            out.append(FixedPoint(decimals).encode(apply_transform(to_decimal(value), transform)))
        except ValueError:
            return None
    return out


def check(column: pa.Array | pa.ChunkedArray, decimals: int, transform: Any) -> np.ndarray | None:
    fast = encode_column(column, decimals, transform)
    slow = per_row(column, decimals, transform)
    if fast is not None:
        assert slow is not None, "the per-row path refuses what numpy encoded"
        assert fast.dtype == np.int64
        assert fast.tolist() == slow
    elif slow is not None:  # integer and decimal columns within range: numpy does them all
        assert not isinstance(column.type, pa.DecimalType) and not pa.types.is_integer(column.type)
    return fast


TRANSFORMS: list[Any] = [
    None,
    {},
    {"round_to": 100},
    {"round_to": 0.5},
    {"round_to": 2.5},
    {"round_to": 0.01},
    {"round_to": 1e3},
    {"buckets": [0, 1000, 5000, 10000]},
    {"buckets": [100, 0, 50]},  # unsorted: the last edge in list order at or below
    {"buckets": [0.5, 2.25]},
]


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("decimals", [0, 2, 4])
def test_decimal_columns_equal_the_per_row_path(transform: Any, decimals: int) -> None:
    rng = random.Random(hash((str(transform), decimals)) & 0xFFFF)
    values: list[Decimal | None] = [
        Decimal(rng.randrange(-(10**8), 10**8)) / 100 for _ in range(3000)
    ]
    # Ties of every rounding step, both signs, and nulls.
    values += [Decimal(t) for t in ("150.00", "250.00", "-250.00", "-350.00", "0.25", "0.75")]
    values += [Decimal("1.25"), Decimal("-1.25"), Decimal("3.75"), None, None]
    column = pa.array(values, pa.decimal128(38, 2))
    encoded = check(column, decimals, transform)
    if decimals >= 2:
        assert encoded is not None


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_integer_columns_with_nulls_equal_the_per_row_path(transform: Any) -> None:
    rng = random.Random(7)
    values = [rng.choice([None, rng.randrange(-5000, 50000)]) for _ in range(2000)]
    for kind in (pa.int64(), pa.int32(), pa.uint16() if transform is None else pa.int16()):
        if kind == pa.uint16():
            column = pa.array([abs(v) if v is not None else None for v in values], kind)
        else:
            column = pa.array([v if v is None or abs(v) < 30000 else 0 for v in values], kind)
        for decimals in (0, 3):
            encoded = check(column, decimals, transform)
            assert encoded is not None or decimals == 0


def test_chunks_slices_and_empty_columns() -> None:
    whole = pa.array(
        [Decimal("1.50"), None, Decimal("-2.25"), Decimal("7.00")] * 50, pa.decimal128(20, 2)
    )
    chunked = pa.chunked_array([whole.slice(3, 60), whole.slice(100, 41)])
    assert check(chunked, 2, {"round_to": 0.5}) is not None
    assert check(whole.slice(1, 7), 2, None) is not None
    empty = encode_column(pa.array([], pa.int64()), 2, None)
    assert empty is not None and len(empty) == 0


def test_what_only_the_per_row_path_can_say_is_left_to_it() -> None:
    cents = pa.array([Decimal("1.25"), Decimal("2.00")], pa.decimal128(38, 2))
    assert encode_column(cents, 0, None) is None  # the per-row path refuses 1.25 at 0 places
    assert per_row(cents, 0, None) is None
    assert encode_column(pa.array([0.1, 0.2]), 2, None) is None  # floats: per row
    assert encode_column(pa.array(["1"]), 0, None) is None
    assert encode_column(pa.array([True]), 0, None) is None
    huge = pa.array([Decimal(10**30)], pa.decimal128(38, 0))
    assert encode_column(huge, 0, None) is None
    assert encode_column(pa.array([1 << 61]), 2, None) is None  # the scaled value passes 2^62
    ints = pa.array([1, 2, 3])
    assert encode_column(ints, 0, {"round_to": 0}) is None
    assert encode_column(ints, 0, {"round_to": -5}) is None
    assert encode_column(ints, 0, {"buckets": []}) is None
    assert encode_column(ints, 0, {"clip": [0, 1]}) is None


def test_weighted_sums_equal_python_and_step_aside_near_the_limit() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(-(10**6), 10**6, 500)
    b = rng.integers(0, 50, 500)
    total = weighted_sum([a, b], [123_456_789, -987_654_321])
    assert total is not None
    assert total.tolist() == [
        123_456_789 * x - 987_654_321 * y for x, y in zip(a.tolist(), b.tolist(), strict=True)
    ]
    assert weighted_sum([a], [1 << 62]) is None
    assert weighted_sum([np.array([1 << 40])], [1 << 22]) is None
    assert weighted_sum([], []) is None
