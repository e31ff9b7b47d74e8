"""The consumer's batch: applicant_ref, person_id.

Invalid ids are kept, with the reason, so the output can say 'invalid_id'
for them in the batch's order; nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.csv_reader import read_csv
from connectors.identifiers import normalise_resident_id, resident_id_error
from trusted_space.errors import InputError, Location

MAX_REF = 128


@dataclass(frozen=True)
class Applicant:
    row: int
    ref: str
    person_id: str | None  # normalised, or None when invalid
    error: str | None


def read_applicants(
    path: Path, id_column: str = "person_id", ref_column: str = "applicant_ref"
) -> list[Applicant]:
    result = read_csv(Path(path))
    where = str(path)
    header = [c for c in result.table.column_names if c != "_row"]
    for column in (ref_column, id_column):
        if column not in result.table.column_names:
            raise InputError(
                f"missing column {column!r} (the file has {', '.join(header)})",
                Location(where, None, None),
            )
    if result.malformed:
        row, reason = result.malformed[0]
        raise InputError(reason, Location(where, row, None))
    refs = result.table.column(ref_column).to_pylist()
    ids = result.table.column(id_column).to_pylist()
    rows = result.table.column("_row").to_pylist()
    seen: dict[str, int] = {}
    out: list[Applicant] = []
    for row, ref, raw in zip(rows, refs, ids, strict=True):
        ref = (ref or "").strip()
        if not ref:
            raise InputError("empty applicant reference", Location(where, row, ref_column))
        if len(ref) > MAX_REF:
            raise InputError(f"longer than {MAX_REF} characters", Location(where, row, ref_column))
        if ref in seen:
            raise InputError(
                f"duplicate applicant reference (first at row {seen[ref]})",
                Location(where, row, ref_column),
            )
        seen[ref] = row
        value = normalise_resident_id(raw or "")
        error = "missing value" if not value else resident_id_error(value)
        out.append(Applicant(row, ref, None if error else value, error))
    if not out:
        raise InputError("no applicants in the file", Location(where, None, None))
    return out
