"""What differential privacy did to a cohort's numbers, in words a requester reads.

Noise is fixed by epsilon and the layout, not by the cell: a cell of twenty
people carries the same noise as a cell of twenty thousand, so the small one
can be far from the truth. Each value's noise standard deviation is printed,
and a warning names the values whose noise exceeds the released magnitude.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from trusted_space.core.i18n import t

# Values released in a unit other than the one noise is added in: sum_cost is
# summed in fen and shown in yuan.
DISPLAY_DIVISOR = {"sum_cost": 100}


def noise_in_display_units(privacy: Mapping[str, Any]) -> dict[str, float]:
    """Each value's noise standard deviation, in the unit result.csv shows."""
    sd = privacy.get("noise_sd") or {}
    return {name: float(v) / DISPLAY_DIVISOR.get(name, 1) for name, v in sd.items()}


def noisy_cells(
    rows: Sequence[Mapping[str, Any]], privacy: Mapping[str, Any]
) -> dict[str, tuple[int, int]]:
    """Per value: (cells whose released magnitude is below the noise's
    standard deviation, cells released)."""
    out: dict[str, tuple[int, int]] = {}
    for name, sd in noise_in_display_units(privacy).items():
        released = [r[name] for r in rows if r.get("status") == "ok" and r.get(name) is not None]
        small = sum(abs(Decimal(str(v))) < Decimal(str(sd)) for v in released)
        out[name] = (small, len(released))
    return out


def noise_lines(rows: Sequence[Mapping[str, Any]], privacy: Mapping[str, Any]) -> list[str]:
    """The lines to print after a DP cohort: one with every value's noise,
    then one warning per value that some cells' noise exceeds."""
    sd = noise_in_display_units(privacy)
    if not sd:
        return []
    values = t("cohort.noise_sep").join(f"{name} ≈ {v:,.2f}" for name, v in sd.items())
    lines = [t("cohort.noise", values=values)]
    for name, (small, total) in noisy_cells(rows, privacy).items():
        if small:
            lines.append(
                t("cohort.noise_warning", name=name, n=small, total=total, sd=f"{sd[name]:,.2f}")
            )
    return lines
