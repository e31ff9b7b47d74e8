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
