"""Usage for quotas and budgets: every decision, indexed, never from memory.

Each ``policy_decision`` ledger entry is also written, in the same
transaction, as one row of the ``usage`` table (keyed by the entry's
sequence number), so quotas are sums over an index instead of scans of the
whole ledger. The rows carry nothing the ledger entries do not; anyone can
rebuild them from the ledger, and a test does. A job a peer space denied
(a ``peer_decision`` entry that does not allow it: trusted_space/space/federation.py)
is denied here too: its row's decision becomes ``deny``, so it counts
towards no quota or budget, as ``metering.job_usage`` reads the ledger.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from trusted_space.ledger.ledger import LedgerEntry


def record_usage(db: sqlite3.Connection, entry: LedgerEntry) -> None:
    d = entry.details
    db.execute(
        "INSERT INTO usage (seq, job_id, time, consumer, product, decision, batch_size, epsilon) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.seq,
            entry.job_id,
            entry.time,
            d["consumer"],
            d["product"],
            d["decision"],
            d["batch_size"],
            d.get("epsilon"),
        ),
    )


def record_peer_denial(db: sqlite3.Connection, entry: LedgerEntry) -> None:
    """A peer denied the job (``entry``: this space's ``peer_decision``):
    the most restrictive decision holds, here too."""
    if not entry.details.get("allowed", True):
        db.execute("UPDATE usage SET decision = 'deny' WHERE job_id = ?", (entry.job_id,))


_SUM = """
SELECT {what} FROM usage
WHERE decision = 'allow' AND consumer = ? AND product = ? AND time >= ?
"""


class LedgerUsage:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def _sum(self, what: str, consumer: str, product: str, since: dt.datetime) -> float:
        stamp = since.astimezone(dt.UTC).isoformat(timespec="milliseconds")
        row = self.db.execute(_SUM.format(what=what), (consumer, product, stamp)).fetchone()
        return float(row[0] or 0) if row else 0.0

    def jobs(self, consumer: str, product: str, since: dt.datetime) -> int:
        return int(self._sum("count(*)", consumer, product, since))

    def subjects(self, consumer: str, product: str, since: dt.datetime) -> int:
        return int(self._sum("sum(batch_size)", consumer, product, since))

    def epsilon(self, consumer: str, product: str, since: dt.datetime) -> float:
        return self._sum("sum(coalesce(epsilon, 0))", consumer, product, since)
