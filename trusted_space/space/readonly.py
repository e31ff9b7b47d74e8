"""Read a space's state without opening it for writing: for stewards'
explanations and listings beside a running space."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from trusted_space.errors import NotFound
from trusted_space.space.policy_registry import PolicyRecord, read_policy_records
from trusted_space.space.usage import LedgerUsage


def _connect(workdir: Path) -> sqlite3.Connection:
    path = Path(workdir) / "space" / "space.sqlite"
    if not path.exists():
        raise NotFound(f"no space at {workdir}")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def open_usage(workdir: Path) -> LedgerUsage:
    return LedgerUsage(_connect(workdir))


def policy_records(workdir: Path) -> list[PolicyRecord]:
    db = _connect(workdir)
    try:
        return read_policy_records(db)
    finally:
        db.close()
