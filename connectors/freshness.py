"""How recent a node's data is: the newest date of any canonical table.

An evaluation date after the newest record of every provider is most often a
typo (2030 for 2026): every window is then empty and scores look plausible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.canonical import TABLES


def newest_date(con: Any) -> dt.date | None:
    """The latest date in any date column of the canonical tables (None if empty)."""
    newest: dt.date | None = None
    for spec in TABLES.values():
        columns = [c.name for c in spec.columns if c.kind == "date"]
        if not columns:
            continue
        select = ", ".join(f"MAX(TRY_CAST({c} AS DATE))" for c in columns)
        row = con.execute(f"SELECT {select} FROM {spec.name}").fetchone()
        for value in row or ():
            if value is not None and (newest is None or value > newest):
                newest = value
    return newest
