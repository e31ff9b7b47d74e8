"""Search stored bytes for planted canary values, in every form they could take.

A canary could hide as plain UTF-8, hex (either case), or base64 at any of
the three byte alignments, inside a file or inside a SQLite/DuckDB page.
"""

from __future__ import annotations

import base64
from pathlib import Path


def encodings(needle: str) -> dict[str, bytes]:
    raw = needle.encode("utf-8")
    forms = {"utf-8": raw, "hex": raw.hex().encode(), "HEX": raw.hex().upper().encode()}
    for shift in range(3):
        # The stable middle part of the base64 of the needle at this alignment.
        encoded = base64.b64encode(b"\x00" * shift + raw)
        start = 4 * ((shift + 2) // 3)
        stable = encoded[start : 4 * ((shift + len(raw)) // 3)]
        if len(stable) >= 8:
            forms[f"base64+{shift}"] = stable
    return forms


def find_canaries(root: Path, needles: list[str]) -> list[tuple[str, str, str]]:
    """(file, needle, form) for every appearance under ``root``."""
    hits: list[tuple[str, str, str]] = []
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in needles:
            for form, pattern in encodings(needle).items():
                if pattern in data:
                    hits.append((str(path), needle, form))
    return hits


def find_in_text(lines: list[str], needles: list[str]) -> list[tuple[str, str]]:
    return [
        (line, n)
        for line in lines
        for n in needles
        for form in encodings(n).values()
        if form.decode("ascii", "replace") in line
    ]


def sqlite_text(path: Path) -> list[str]:
    """Every value of every table of a SQLite file, as text (blobs as hex and
    as UTF-8), for searches that must not depend on the page format."""
    import sqlite3

    out: list[str] = []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        out += [value.hex(), value.decode("utf-8", "replace")]
                    elif value is not None:
                        out.append(str(value))
    finally:
        db.close()
    return out


def duckdb_text(path: Path, sql: str) -> list[str]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return [str(v) for row in con.execute(sql).fetchall() for v in row]
