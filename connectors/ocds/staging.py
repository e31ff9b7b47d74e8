"""Staging and compiling OCDS releases in a scratch SQLite file.

Each release is staged as JSON text in a scratch SQLite file keyed by its
ocid (compared exactly as written: CDMX writes upper-case ocids); then the
releases of each ocid, from every file of the load, are merged in date order
(``connectors.ocds.merge``) into one compiled release, one ocid at a time. A
record is its own unit: its ``compiledRelease`` when present, else its
embedded releases merged in date order. Linked releases (url, date, tag only)
carry no data: a record with nothing else gives a warning and no rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.ocds.merge import merge_into, release_sort_key
from connectors.ocds.notes import Notes
from connectors.ocds.values import id_text

BATCH_ROWS = 1000
# Page cache of the scratch file; beyond it, pages stay on disk.
SCRATCH_CACHE_KIB = 64 * 1024


class Scratch:
    """Releases staged as JSON text in a scratch SQLite file keyed by unit
    (an ocid, or one record), so a load's memory does not grow with its
    releases.

    SQLite rather than DuckDB: the merge needs each ocid's releases in date
    order, one ocid at a time. A B-tree index on (unit, date, seq) gives that
    order by lookups, without sorting the release texts; DuckDB 2.0 has to
    sort them, and its sort does not spill wide text (it fails at a 128 MB
    limit on 150 MB of releases).
    """

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode = OFF",  # a scratch file: nothing to recover
            "synchronous = OFF",
            f"cache_size = -{SCRATCH_CACHE_KIB}",
            "temp_store = FILE",
        ):
            self.con.execute(f"PRAGMA {pragma}")
        self.con.execute(
            "CREATE TABLE staged (seq INTEGER PRIMARY KEY, unit TEXT NOT NULL, ocid TEXT, "
            "file TEXT, row INTEGER, release_id TEXT, sort_key TEXT, body TEXT)"
        )
        self.con.execute(
            "CREATE TABLE problems (seq INTEGER PRIMARY KEY, file TEXT, row INTEGER, "
            "field TEXT, reason TEXT, body TEXT)"
        )
        self.con.execute("BEGIN")
        self.next_seq = 1

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.close()

    def add(self, unit: str, ocid: str, file: str, row: int, body: Any) -> None:
        release_id = sort_key = None
        if isinstance(body, dict):
            release_id = id_text(body.get("id"))
            sort_key = release_sort_key(body.get("date"))
        self.con.execute(
            "INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.next_seq,
                unit,
                ocid,
                file,
                row,
                release_id,
                sort_key or "",
                json.dumps(body, ensure_ascii=False, default=_json_number),
            ),
        )
        self.next_seq += 1

    def refuse(self, file: str, row: int, field_name: str | None, reason: str, body: Any) -> None:
        """A release or record that cannot be staged; kept in order with the
        others so that ``take_from`` also takes it back."""
        text = json.dumps(body, ensure_ascii=False, default=_json_number)
        self.con.execute(
            "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?)",
            (self.next_seq, file, row, field_name, reason, text),
        )
        self.next_seq += 1

    def take_from(self, seq: int) -> list[Any]:
        """Remove and return, in order, what was staged from ``seq`` on (a
        document that turned out to be a record after its releases were
        streamed; a release without ocid is fine inside a record)."""
        rows = self.con.execute(
            "SELECT seq, body FROM staged WHERE seq >= ? UNION ALL "
            "SELECT seq, body FROM problems WHERE seq >= ? ORDER BY seq",
            (seq, seq),
        ).fetchall()
        self.con.execute("DELETE FROM staged WHERE seq >= ?", (seq,))
        self.con.execute("DELETE FROM problems WHERE seq >= ?", (seq,))
        return [_loads(body) for _, body in rows]

    def problems(self) -> list[tuple[str, int, str | None, str]]:
        rows = self.con.execute(
            "SELECT file, row, field, reason FROM problems ORDER BY seq"
        ).fetchall()
        return [(f, int(r), fld, reason) for f, r, fld, reason in rows]

    def units(self, notes: Notes) -> Iterator[Unit]:
        """Compiled releases, one per unit, in the order the units were first
        read; each merged from its releases in date order (undated first)."""
        self.con.execute("COMMIT")
        self.con.execute("CREATE INDEX staged_order ON staged (unit, sort_key, seq)")
        self.con.execute(
            "CREATE TABLE units AS SELECT unit, min(seq) AS first_seq FROM staged GROUP BY unit"
        )
        self.con.execute("CREATE INDEX units_order ON units (first_seq)")
        # Driven by units in first_seq order, each looked up through the index:
        # the rows come out in order without a sort of the release texts.
        cursor = self.con.execute(
            "SELECT s.unit, s.ocid, s.file, s.row, s.seq, s.release_id, s.sort_key, s.body "
            "FROM units u JOIN staged s ON s.unit = u.unit "
            "ORDER BY u.first_seq, s.sort_key, s.seq"
        )
        current: Unit | None = None
        release_ids: set[str] = set()
        while rows := cursor.fetchmany(BATCH_ROWS):
            for unit, ocid, file, row, seq, release_id, sort_key, body in rows:
                if current is None or current.key != unit:
                    if current is not None:
                        yield current
                    current = Unit(unit, ocid, file, int(row), {}, seq)
                    release_ids = set()
                elif seq < current.first_seq:
                    current.file, current.row, current.first_seq = file, int(row), seq
                if unit.startswith("ocid:"):
                    if not sort_key:
                        notes.add("undated", file, int(row))
                    if release_id is not None and release_id in release_ids:
                        notes.count("repeated_release")
                    release_ids.add(release_id)
                merge_into(current.compiled, _loads(body))
        if current is not None:
            yield current


@dataclass
class Unit:
    """One ocid (or record) being compiled; file and row of its first release
    in load order."""

    key: str
    ocid: str
    file: str
    row: int
    compiled: dict[str, Any]
    first_seq: int


def _json_number(value: Any) -> Any:
    """JSON for the Decimals ijson gives: a float when it round-trips to the
    same digits (read back exactly with ``parse_float=Decimal``), else text."""
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)
