"""The files a connector reads from the paths a provider gives.

A file is read as given. A folder is read with its subfolders, every level,
in sorted order: a provider's download folder often keeps one subfolder per
publisher or export (../shared/data/real2/ocds), and reading only the top
level dropped every file below it without a word (`tspace load ocds
real2/ocds` said there were no OCDS files). Hidden names (starting with a
dot) are skipped; symbolic links to files are read, links to folders are not
followed (no loops). The other files of a folder (a README.md beside HL7
messages) are not read, and the load's report says so (``note_skipped``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from connectors.quality import QualityReport
from trusted_space.core.i18n import Text, english


def folder_files(
    folder: Path, accept: Callable[[Path], bool], skipped: list[Path] | None = None
) -> list[Path]:
    """The files under ``folder`` (every level) that ``accept`` takes, sorted
    by their path below the folder; the others are added to ``skipped``."""
    found: list[Path] = []
    other: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = Path(root) / name
            if name.startswith(".") or not path.is_file():
                continue
            (found if accept(path) else other).append(path)
    if skipped is not None:
        skipped.extend(sorted(other, key=lambda p: p.relative_to(folder).parts))
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def given_files(
    paths: Sequence[Path], accept: Callable[[Path], bool], skipped: list[Path] | None = None
) -> Iterator[Path]:
    """Each path as given, a folder as ``folder_files``."""
    for path in map(Path, paths):
        if path.is_dir():
            yield from folder_files(path, accept, skipped)
        else:
            yield path


def note_skipped(report: QualityReport, skipped: Sequence[Path], kind: str) -> None:
    """A warning naming the files of the folders given that were not read."""
    if skipped:
        examples = "; ".join(str(p) for p in skipped[:3])
        said = Text("load.skipped_files", n=len(skipped), kind=kind, e=examples)
        report.warnings.append(english(said))
