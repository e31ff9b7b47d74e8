"""The audit ledger: append-only, hash-chained, signed entries.

Each entry is canonical JSON of ``{seq, time, actor, kind, job_id, details,
prev}``; its hash is ``H(canonical entry)`` under the space's crypto suite and
its signature is the space's signature over that hash. Changing, removing or
reordering any entry breaks the chain at the first entry affected, and
``verify`` names it.

Entries hold no identifier and no raw value: callers pass counts, versions,
hashes of messages and decisions only.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from trusted_space.canonical_json import canonical_json
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.errors import CryptoError, LedgerTampered

GENESIS = "0" * 64


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    time: str
    actor: str
    kind: str
    job_id: str | None
    details: dict[str, Any]
    prev: str
    hash: str
    signature: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "kind": self.kind,
            "job_id": self.job_id,
            "details": self.details,
            "prev": self.prev,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash, "signature": self.signature}


class Ledger:
    """The ledger table inside the space's SQLite database."""

    def __init__(self, db: sqlite3.Connection, suite: CryptoSuite, key: SigningKey) -> None:
        self.db = db
        self.suite = suite
        self.key = key
        db.execute(
            "CREATE TABLE IF NOT EXISTS ledger (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, "
            "job_id TEXT, kind TEXT NOT NULL)"
        )
        db.execute("CREATE INDEX IF NOT EXISTS ledger_job ON ledger(job_id)")

    def append(
        self, actor: str, kind: str, details: dict[str, Any], job_id: str | None = None
    ) -> LedgerEntry:
        """Append one entry. Call inside the caller's transaction so the entry
        commits with the state change it records."""
        last = self.db.execute("SELECT seq, entry FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
        seq = 1 if last is None else int(last[0]) + 1
        prev = GENESIS if last is None else json.loads(last[1])["hash"]
        body: dict[str, Any] = {
            "seq": seq,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "actor": actor,
            "kind": kind,
            "job_id": job_id,
            "details": details,
            "prev": prev,
        }
        digest = self.suite.hash(canonical_json(body))
        entry = LedgerEntry(
            seq=seq,
            time=str(body["time"]),
            actor=actor,
            kind=kind,
            job_id=job_id,
            details=details,
            prev=prev,
            hash=digest.hex(),
            signature=self.key.sign(digest).hex(),
        )
        self.db.execute(
            "INSERT INTO ledger (seq, entry, job_id, kind) VALUES (?, ?, ?, ?)",
            (seq, json.dumps(entry.to_dict(), ensure_ascii=False), job_id, kind),
        )
        return entry

    def entries(self, job_id: str | None = None) -> Iterator[LedgerEntry]:
        if job_id is None:
            rows = self.db.execute("SELECT entry FROM ledger ORDER BY seq")
        else:
            rows = self.db.execute(
                "SELECT entry FROM ledger WHERE job_id = ? ORDER BY seq", (job_id,)
            )
        for (text,) in rows:
            yield LedgerEntry(**json.loads(text))

    def verify(self) -> int:
        """Check the whole chain; return the number of entries."""
        return verify_entries(
            (e.to_dict() for e in self.entries()), self.suite, self.key.public_bytes()
        )


def verify_entries(entries: Iterator[dict[str, Any]], suite: CryptoSuite, public_key: bytes) -> int:
    """Verify exported entries; raise ``LedgerTampered`` at the first bad one."""
    prev = GENESIS
    count = 0
    for count, data in enumerate(entries, start=1):
        seq = data.get("seq", count)
        if seq != count:
            raise LedgerTampered(count, f"expected sequence number {count}, found {seq}")
        body = {
            k: data.get(k) for k in ("seq", "time", "actor", "kind", "job_id", "details", "prev")
        }
        if body["prev"] != prev:
            raise LedgerTampered(count, "does not chain to the previous entry")
        digest = suite.hash(canonical_json(body))
        if digest.hex() != data.get("hash"):
            raise LedgerTampered(count, "content does not match its hash")
        try:
            suite.verify(public_key, digest, bytes.fromhex(str(data.get("signature", ""))))
        except (CryptoError, ValueError) as exc:
            raise LedgerTampered(count, "signature is not the space's") from exc
        prev = digest.hex()
    return count
