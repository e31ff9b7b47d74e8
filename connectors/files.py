"""The files a connector reads from the paths a provider gives.

A file is read as given. A folder is read with its subfolders, every level,
in sorted order: a provider's download folder often keeps one subfolder per
publisher or export (../shared/data/real2/ocds), and reading only the top
level dropped every file below it without a word (`tspace load ocds
real2/ocds` said there were no OCDS files). Hidden names (starting with a
dot) are skipped; symbolic links to files are read, links to folders are not
followed (no loops).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path


def folder_files(folder: Path, accept: Callable[[Path], bool]) -> list[Path]:
    """The files under ``folder`` (every level) that ``accept`` takes, sorted
    by their path below the folder."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = Path(root) / name
            if not name.startswith(".") and path.is_file() and accept(path):
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def given_files(paths: Sequence[Path], accept: Callable[[Path], bool]) -> Iterator[Path]:
    """Each path as given, a folder as ``folder_files``."""
    for path in map(Path, paths):
        if path.is_dir():
            yield from folder_files(path, accept)
        else:
            yield path
