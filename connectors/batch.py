"""A consumer's batch file: one reference and one identifier per row.

Shared by the insurer's applicants and the bank's companies: the columns
must be there, no record may be malformed, and references must be present,
short and unique (each error names its row and field). Identifiers are
returned as written, for the caller to validate and keep, invalid or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from connectors.csv_reader import read_csv
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, english

MAX_REF = 128


@dataclass(frozen=True)
class InvalidId:
    """Where and why a batch's identifier is invalid. ``str()`` is how output
    files say it (English, like every file format): 'row 3 (line 4),
    person_id: <reason>'; line 1 is the header, so data row N is line N+1."""

    row: int
    column: str
    reason: str | Text  # said in the reader's language on the terminal

    @property
    def line(self) -> int:
        return self.row + 1

    def __str__(self) -> str:
        return f"row {self.row} (line {self.line}), {self.column}: {english(self.reason)}"


def invalid_detail(row: int, column: str, reason: str | Text | None) -> InvalidId:
    return InvalidId(row, column, reason or Text("id.invalid"))


def read_batch(path: Path, ref_column: str, id_column: str) -> list[tuple[int, str, str]]:
    """(row, reference, identifier as written) per record, in file order."""
    return [
        (row, ref, fields[id_column])
        for row, ref, fields in read_batch_fields(path, ref_column, (id_column,))
    ]


def read_batch_fields(
    path: Path, ref_column: str, columns: Sequence[str], optional: Sequence[str] = ()
) -> list[tuple[int, str, dict[str, str]]]:
    """(row, reference, {column: value as written}) per record, in file order.

    Every one of ``columns`` must be in the header; an ``optional`` column
    may be absent, and then reads as empty on every row. Empty cells read
    as ''. Records and references are checked as ``read_batch`` says."""
    result = read_csv(Path(path))
    where = str(path)
    header = [c for c in result.table.column_names if c != "_row"]
    for column in (ref_column, *columns):
        if column not in header:
            raise InputError(
                Text("batch.missing_column", column=repr(column), header=", ".join(header)),
                Location(where, None, None),
            )
    if result.malformed:
        row, reason = result.malformed[0]
        raise InputError(reason, Location(where, row, None))
    n = result.table.num_rows
    values = {
        c: result.table.column(c).to_pylist() if c in header else [None] * n
        for c in (*columns, *optional)
    }
    seen: dict[str, int] = {}
    out: list[tuple[int, str, dict[str, str]]] = []
    records = zip(
        result.table.column("_row").to_pylist(),
        result.table.column(ref_column).to_pylist(),
        range(n),
        strict=True,
    )
    for row, ref, i in records:
        ref = (ref or "").strip()
        if not ref:
            raise InputError(Text("batch.empty_ref"), Location(where, row, ref_column))
        if len(ref) > MAX_REF:
            raise InputError(Text("batch.long_ref", n=MAX_REF), Location(where, row, ref_column))
        if ref in seen:
            raise InputError(
                Text("batch.duplicate_ref", first=seen[ref]), Location(where, row, ref_column)
            )
        seen[ref] = row
        out.append((row, ref, {c: v[i] or "" for c, v in values.items()}))
    if not out:
        raise InputError(Text("batch.no_rows"), Location(where, None, None))
    return out
