"""Read a space's state without opening it for writing: for stewards'
explanations and listings beside a running space."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from trusted_space.core.errors import NotFound
from trusted_space.core.i18n import Text
from trusted_space.crypto import CryptoSuite, SigningKey, get_suite
from trusted_space.ledger.ledger import Ledger
from trusted_space.space.policy_registry import PolicyRecord, read_policy_records
from trusted_space.space.usage import LedgerUsage


def _connect(workdir: Path) -> sqlite3.Connection:
    path = Path(workdir) / "space" / "space.sqlite"
    if not path.exists():
        raise NotFound(Text("err.space.folder.no_space", path=str(workdir)))
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def open_usage(workdir: Path) -> LedgerUsage:
    return LedgerUsage(_connect(workdir))


def policy_records(workdir: Path) -> list[PolicyRecord]:
    db = _connect(workdir)
    try:
        return read_policy_records(db)
    finally:
        db.close()


def participant_names(workdir: Path) -> set[str]:
    db = _connect(workdir)
    try:
        return {name for (name,) in db.execute("SELECT name FROM participants")}
    finally:
        db.close()


def ledger_entries(workdir: Path) -> list[dict[str, Any]]:
    db = _connect(workdir)
    try:
        return [json.loads(text) for (text,) in db.execute("SELECT entry FROM ledger ORDER BY seq")]
    finally:
        db.close()


def _suite_name(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT value FROM meta WHERE key = 'suite'").fetchone()
    if row is None:
        raise NotFound(Text("err.space.folder.no_suite"))
    return str(row[0])


def space_public_key(workdir: Path) -> bytes:
    """The verifying key of the space's signing key file."""
    return space_signing_key(workdir)[1].public_bytes()


def space_signing_key(workdir: Path) -> tuple[CryptoSuite, SigningKey]:
    """The space's suite and ledger signing key, to sign what the space
    states from its ledger (settlement statements)."""
    db = _connect(workdir)
    try:
        suite = get_suite(_suite_name(db))
    finally:
        db.close()
    key_file = Path(workdir) / "space" / "keys" / f"signing.{suite.name}.key"
    if not key_file.exists():
        raise NotFound(Text("err.space.folder.no_signing_key", path=str(key_file)))
    return suite, suite.load_signing_key(key_file.read_bytes())


def ledger_proof(workdir: Path, seq: int) -> dict[str, Any]:
    db = _connect(workdir)
    try:
        suite = get_suite(_suite_name(db))
        return {"suite": suite.name, **Ledger.reader(db, suite).proof(seq)}
    finally:
        db.close()
