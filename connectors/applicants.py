"""The insurer's batch: applicant_ref, person_id.

Invalid ids are kept, with the reason, so the output can say 'invalid_id'
for them in the batch's order; nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.batch import InvalidId, invalid_detail, read_batch
from connectors.identifiers import normalise_resident_id, resident_id_problem
from trusted_space.core.i18n import Text


@dataclass(frozen=True)
class Applicant:
    row: int
    ref: str
    person_id: str | None  # normalised, or None when invalid
    error: str | Text | None  # why the id is invalid, in the reader's language
    column: str = "person_id"

    @property
    def detail(self) -> InvalidId | None:
        """Row, field and reason of an invalid id (None when valid)."""
        return None if self.error is None else invalid_detail(self.row, self.column, self.error)


def read_applicants(
    path: Path, id_column: str = "person_id", ref_column: str = "applicant_ref"
) -> list[Applicant]:
    out: list[Applicant] = []
    for row, ref, raw in read_batch(path, ref_column, id_column):
        value = normalise_resident_id(raw)
        error = Text("id.missing") if not value else resident_id_problem(value)
        out.append(Applicant(row, ref, None if error else value, error, id_column))
    return out
