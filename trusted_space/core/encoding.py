"""Fixed-point encoding of decimal values as integers, apart from encryption.

``FixedPoint(d)`` represents a value x by the integer round(x * 10**d).
Invariant (tested): for values with at most ``d`` decimal places,
``decode(encode(a) + encode(b)) == a + b`` and ``decode(k * encode(a)) == k * a``
for integers k: the encoding is an exact additive homomorphism, so sums made
under Paillier encryption decode to the exact decimal sum. Values with more
places are refused unless the caller asks for rounding (half-even).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

Number = int | float | str | Decimal


def to_decimal(value: Number) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, float):
        # repr is the shortest string that round-trips, so 0.1 stays 0.1.
        value = repr(value)
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def shifted(value: Decimal, places: int) -> Decimal:
    """``value`` times 10**places with every digit kept: ``scaleb`` rounds to
    the context's precision (28 digits by default), which silently dropped
    the cents of amounts past 10^26."""
    return value.scaleb(places, context=Context(prec=max(28, len(value.as_tuple().digits))))


@dataclass(frozen=True)
class FixedPoint:
    decimals: int

    def __post_init__(self) -> None:
        if not 0 <= self.decimals <= 40:
            raise ValueError("decimals must be between 0 and 40")

    @property
    def scale(self) -> int:
        return 10**self.decimals

    def encode(self, value: Number, *, round_excess: bool = False) -> int:
        d = to_decimal(value)
        scaled = shifted(d, self.decimals)
        exact = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
        if exact != scaled and not round_excess:
            raise ValueError(f"{value!r} has more than {self.decimals} decimal places")
        return int(exact)

    def decode(self, encoded: int) -> Decimal:
        return shifted(Decimal(encoded), -self.decimals)
