"""Release transforms a policy can require of a feature: rounding to a step,
or the lower edge of a bucket. Providers apply them before encryption, and
the plaintext references apply the same function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from trusted_space.core.encoding import to_decimal

Transform = Mapping[str, float | Sequence[float]]


def apply_transform(value: Decimal, transform: Transform | None) -> Decimal:
    if not transform:
        return value
    if "round_to" in transform:
        step = to_decimal(transform["round_to"])  # type: ignore[arg-type]
        return (value / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step
    if "buckets" in transform:
        edges = [to_decimal(e) for e in transform["buckets"]]  # type: ignore[union-attr]
        chosen = edges[0]
        for edge in edges:
            if edge <= value:
                chosen = edge
        return chosen
    raise ValueError(f"unknown transform {dict(transform)}")
