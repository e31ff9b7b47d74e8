"""Output files are written whole or not at all.

CSV outputs start with a UTF-8 byte order mark: Excel on Chinese Windows
reads a CSV without one as GBK and shows Chinese references as mojibake.
Every reader of tspace (and pandas, and ``encoding="utf-8-sig"``) accepts
files with or without it."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def _atomic(path: Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text file that appears at ``path`` whole, or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv_atomic(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True
) -> None:
    """Write to a temporary file beside ``path``, then rename it into place
    (with a UTF-8 byte order mark unless ``bom`` is False)."""
    with _atomic(path, "utf-8-sig" if bom else "utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def write_text_atomic(path: Path, text: str) -> None:
    with _atomic(path) as fh:
        fh.write(text)
