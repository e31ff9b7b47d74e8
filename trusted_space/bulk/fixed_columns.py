"""Fixed-point encodings of whole feature columns, exact, with no Python object per row.

``encode_column(column, decimals, transform)`` gives for every row what the
per-row path gives (a provider's ``_row``, then ``FixedPoint(decimals).encode``):
the value after the policy's release transform (products/transforms.py:
``round_to`` a step, half-even; ``buckets``: the last edge in the list at or
below the value, else the first), times 10**decimals; a null is 0. Integer
and decimal columns are done in numpy on 64-bit integers, every intermediate
checked to stay below 2^62, so no step rounds or wraps.

Anything else returns None, and the caller takes the per-row path, which
gives the same values or raises the same error: floats and strings, numbers
past 2^62, an unknown or degenerate transform (a step not above zero, no
bucket edge), a result with more places than ``decimals`` (the per-row path
refuses it).

Why the decimal division of ``round_to`` agrees: the per-row path divides in
Python's default decimal context (28 significant digits) and then rounds half
to even. With numerator and denominator below 2^62 (< 10^19), an inexact
quotient is at least 1/(2M) away from a half, farther than the 28-digit
rounding can move it (q * 10^-27 / 2 < 1/(2M) as q * M < 10^19), so both
round the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trusted_space.core.encoding import to_decimal

LIMIT = 1 << 62

Transform = Mapping[str, float | Sequence[float]]


def _fits(values: np.ndarray, factor: int = 1) -> bool:
    """Whether every value times ``factor`` stays below LIMIT in magnitude."""
    if not len(values):
        return True
    top = max(abs(int(values.max())), abs(int(values.min())))
    return top * factor < LIMIT


def _numeric(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or (pa.types.is_decimal128(kind) and kind.scale >= 0)


def _scaled(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(V, valid, D) with each value = V * 10**-D; V is 0 where the value is null."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = arr.type
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    if not len(arr):
        return (np.zeros(0, dtype=np.int64), valid, 0) if _numeric(kind) else None
    if pa.types.is_integer(kind):
        if pa.types.is_uint64(kind) and len(arr) and (arr.null_count < len(arr)):
            top = pc.max(arr).as_py()
            if top is not None and top >= LIMIT:
                return None
        values = arr.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        return (values, valid, 0) if _fits(values) else None
    if pa.types.is_decimal128(kind) and kind.scale >= 0:
        count = arr.offset + len(arr)
        raw = np.frombuffer(arr.buffers()[1], dtype="<i8", count=2 * count).reshape(count, 2)
        low, high = raw[arr.offset :, 0], raw[arr.offset :, 1]
        # A value fits 64 bits when the high word only extends the low one's sign.
        if not np.all((high == (low >> 63)) | ~valid):
            return None
        values = np.where(valid, low, 0)
        return (values, valid, kind.scale) if _fits(values) else None
    return None


def _parts(value: float | str | Decimal) -> tuple[int, int] | None:
    """(S, D) with value = S * 10**-D and D >= 0, as to_decimal reads it."""
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        return None
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # to_decimal refuses infinities and NaNs
    magnitude = int("".join(map(str, digits)) or "0")
    if exponent > 0:
        magnitude *= 10**exponent
        exponent = 0
    return (-magnitude if sign else magnitude), -exponent


def _round_half_even(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """round(numerator / denominator), ties to even, for denominator > 0."""
    floor = numerator // denominator
    twice_rest = 2 * (numerator - floor * denominator)
    up = (twice_rest > denominator) | ((twice_rest == denominator) & (floor % 2 == 1))
    return floor + up.astype(np.int64)


def _transformed(
    values: np.ndarray, scale: int, transform: Transform | None
) -> tuple[np.ndarray, int] | None:
    """apply_transform on V * 10**-D: (W, E) with each result W * 10**-E."""
    if not transform:
        return values, scale
    if "round_to" in transform:
        step = _parts(transform["round_to"])  # type: ignore[arg-type]
        if step is None or step[0] <= 0:
            return None
        s, s_scale = step
        # value / step = (V * 10**Ds) / (S * 10**D)
        denominator = s * 10**scale
        if denominator >= LIMIT or not _fits(values, 10**s_scale):
            return None
        q = _round_half_even(values * 10**s_scale, denominator)
        if not _fits(q, s):
            return None
        return q * s, s_scale
    if "buckets" in transform:
        given = transform["buckets"]
        if isinstance(given, str | bytes) or not isinstance(given, Sequence) or not given:
            return None
        edges = [_parts(e) for e in given]
        if any(e is None for e in edges):
            return None
        common = max([scale, *(d for _, d in edges)])  # type: ignore[misc]
        if not _fits(values, 10 ** (common - scale)):
            return None
        at_common = values * 10 ** (common - scale)
        scaled_edges = [e * 10 ** (common - d) for e, d in edges]  # type: ignore[misc]
        if any(abs(e) >= LIMIT for e in scaled_edges):
            return None
        chosen = np.full(len(values), scaled_edges[0], dtype=np.int64)
        for edge in scaled_edges:
            chosen = np.where(at_common >= edge, np.int64(edge), chosen)
        return chosen, common
    return None


def encode_column(
    column: pa.Array | pa.ChunkedArray, decimals: int, transform: Transform | None
) -> np.ndarray | None:
    """FixedPoint(decimals).encode(apply_transform(value)) per row (0 for a
    null), as int64; None where only the per-row path can say (see above)."""
    scaled = _scaled(column)
    if scaled is None:
        return None
    values, valid, scale = scaled
    done = _transformed(values, scale, transform)
    if done is None:
        return None
    result, places = done
    if decimals >= places:
        if not _fits(result, 10 ** (decimals - places)):
            return None
        encoded = result * 10 ** (decimals - places)
    else:
        divisor = 10 ** (places - decimals)
        if np.any((result % divisor != 0) & valid):
            return None  # more places than the feature has: the per-row path refuses it
        encoded = result // divisor
    return np.where(valid, encoded, 0).astype(np.int64)


def weighted_sum(columns: Sequence[np.ndarray], weights: Sequence[int]) -> np.ndarray | None:
    """sum(w * column) per row as int64; None when it could pass 2^62."""
    if not columns:
        return None
    bound = 0
    for column, weight in zip(columns, weights, strict=True):
        if abs(weight) >= LIMIT:
            return None
        if len(column):
            bound += abs(weight) * max(abs(int(column.max())), abs(int(column.min())))
    if bound >= LIMIT:
        return None
    total = np.zeros(len(columns[0]), dtype=np.int64)
    for column, weight in zip(columns, weights, strict=True):
        total += column * np.int64(weight)
    return total
