"""The bank's batch: company_ref, company_id (a USCC, or SCHEME:id).

Invalid identifiers are kept with the reason, so features.csv can say
'invalid_id' for them in the batch's order; nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.batch import InvalidId, invalid_detail, read_batch
from connectors.identifiers import company_key
from trusted_space.core.errors import InvalidIdentifier
from trusted_space.core.i18n import Text


@dataclass(frozen=True)
class Company:
    row: int
    ref: str
    key: str | None  # USCC:<code> or SCHEME:id; None when invalid
    error: str | Text | None  # why the key is invalid, in the reader's language

    @property
    def detail(self) -> InvalidId | None:
        """Row, field and reason of an invalid id (None when valid)."""
        return None if self.error is None else invalid_detail(self.row, "company_id", self.error)


def read_companies(path: Path) -> list[Company]:
    out: list[Company] = []
    for row, ref, raw in read_batch(path, "company_ref", "company_id"):
        try:
            out.append(Company(row, ref, company_key(raw), None))
        except InvalidIdentifier as exc:
            out.append(Company(row, ref, None, exc.reason))
    return out
