"""Canonical JSON: one byte string per value, for hashing and signing.

Keys sorted, no insignificant whitespace, UTF-8, no NaN or infinity. Numbers
that are not integers must be given as strings by the caller, so two machines
never disagree about a float's digits.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
