"""Usage counted from the ledger's decision entries, never from memory.

Every allowed job leaves a ``policy_decision`` entry naming its consumer,
product, batch size and epsilon; quotas and budgets are sums over those
entries since the start of a period, so restarting the space changes nothing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

_SUM = """
SELECT {what} FROM ledger
WHERE kind = 'policy_decision'
  AND json_extract(entry, '$.details.decision') = 'allow'
  AND json_extract(entry, '$.details.consumer') = ?
  AND json_extract(entry, '$.details.product') = ?
  AND json_extract(entry, '$.time') >= ?
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
        return int(
            self._sum("sum(json_extract(entry, '$.details.batch_size'))", consumer, product, since)
        )

    def epsilon(self, consumer: str, product: str, since: dt.datetime) -> float:
        return self._sum(
            "sum(coalesce(json_extract(entry, '$.details.epsilon'), 0))", consumer, product, since
        )
