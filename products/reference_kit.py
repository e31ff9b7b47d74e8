"""Small plaintext versions of what the private path computes, for the
plaintext references only.

A reference must not import the code it checks, or a bug there would pass
both sides unseen. So the references use these few independent lines for
what they would otherwise share with the private path: the release
transforms, the logistic function and risk bands, the score model's file and
the bank's batch. Each is tested against hand-computed values in
tests/unit/test_reference_kit.py; nothing on the private path imports this
module (an import contract says so).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

# GB 32100-2015: 0-9 and the capitals without I, O, S, V, Z.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Scheme names a bank may write before a unified social credit code.
USCC_NAMES = ("USCC", "CN-USCC", "CN-SAMR", "CN-SAIC")
# Two scheme names a bank may write for org-id.guide's MX-RFC (a few, written
# out here; the product's full table is connectors/scheme_aliases.csv).
SCHEME_NAMES = {"RFC": "MX-RFC", "REGISTRO FEDERAL DE CONTRIBUYENTES": "MX-RFC"}


def release(value: Decimal, transform: Mapping[str, Any] | None) -> Decimal:
    """A policy's release transform: ``round_to`` a step, half to even, or
    the lower edge of the ``buckets`` bucket the value falls in (the first
    edge below them all)."""
    if not transform:
        return value
    if "round_to" in transform:
        step = Decimal(str(transform["round_to"]))
        return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * step
    edges = [Decimal(str(e)) for e in transform["buckets"]]
    below = [e for e in edges if e <= value]
    return max(below) if below else edges[0]


def logistic(score: float) -> float:
    """1 / (1 + e^-score), computed on the side that cannot overflow."""
    if score < 0:
        return math.exp(score) / (1.0 + math.exp(score))
    return 1.0 / (1.0 + math.exp(-score))


def band_of(bands: Sequence[tuple[str, float]], p: float) -> str:
    """The first band whose upper bound reaches p; the last band past them all."""
    return next((label for label, upper in bands if p <= upper), bands[-1][0])


@dataclass(frozen=True)
class Model:
    intercept: Decimal
    weights: dict[str, Decimal]
    bands: list[tuple[str, float]]


def read_model(path: Path) -> Model:
    """The score model's JSON file: intercept, weights, bands."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return Model(
        Decimal(str(doc["intercept"])),
        {k: Decimal(str(v)) for k, v in doc["weights"].items()},
        [(str(label), float(upper)) for label, upper in doc["bands"]],
    )


def uscc_valid(code: str) -> bool:
    """18 characters of the charset, 8 leading digits, and the check character
    charset[(31 - sum(value_i * 3^i mod 31)) mod 31]."""
    if len(code) != 18 or any(c not in USCC_CHARS for c in code) or not code[:8].isdigit():
        return False
    total = sum(USCC_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return code[17] == USCC_CHARS[(31 - total % 31) % 31]


def company_key(raw: str) -> str | None:
    """``USCC:<code>`` for a valid unified social credit code (bare or under a
    USCC scheme name), ``SCHEME:id`` for another scheme (upper case, spaces
    collapsed, ``SCHEME_NAMES`` renamed); None when invalid."""
    text = raw.strip()
    scheme, sep, ident = text.partition(":") if ":" in text else ("", "", text)
    scheme, ident = " ".join(scheme.split()).upper(), ident.strip()
    if not sep or scheme in USCC_NAMES:
        code = ident.upper().replace(" ", "").replace("-", "")
        return f"USCC:{code}" if uscc_valid(code) else None
    return f"{SCHEME_NAMES.get(scheme, scheme)}:{ident}" if scheme and ident else None


def read_bank_batch(path: Path) -> list[tuple[str, str | None]]:
    """(company_ref, company key or None) per row of the bank's batch."""
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        return [(r["company_ref"], company_key(r["company_id"])) for r in csv.DictReader(fh)]
