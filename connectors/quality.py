"""Quality reports: what a load read, kept and refused, row by row."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trusted_space.core.errors import InputError, row_label
from trusted_space.core.i18n import Text, english, recognised, t

# `tspace load` exits with this code when nothing was loaded (every record
# rejected, or no record at all), so that a pipeline notices (docs/connectors.md).
EXIT_NOTHING_LOADED = 3


class NoUsableData(InputError):
    """A provider a job needs kept no row: its load summary, with the path of
    its report (``report_not_kept`` when that path is about to be removed)."""

    def __init__(self, report: QualityReport, provider: str, path: Path | str) -> None:
        super().__init__(t("load.unusable", summary=report.summary(provider, path)))
        self.report, self.provider = report, provider

    def report_not_kept(self) -> NoUsableData:
        """The same, saying the report was not kept (a temporary work folder)."""
        return NoUsableData(self.report, self.provider, t("load.not_kept"))


@dataclass(frozen=True)
class Rejection:
    """A refused record: file, 1-based record number, field and reason.

    ``row`` counts data records (a CSV header is not a record; an NDJSON or HL7
    file counts lines or messages). The offending value is not repeated here:
    reports stay at the provider but are often mailed around.
    """

    file: str
    row: int | None
    field: str | None
    reason: str


@dataclass
class QualityReport:
    source: str
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    # Rows whose key was already loaded and that were merged into it (kept),
    # for sources where repetition is normal (a party in every release).
    # rows_read == rows_loaded + rows_merged + rows_rejected.
    rows_merged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)

    def reject(
        self, file: str, row: int | None, field_name: str | None, reason: str | Text
    ) -> None:
        # Kept in English: the report is stored with the node's data, and
        # scripts read it; the terminal says each reason in the reader's
        # language (``recognised``: the catalog entry it is the English of).
        self.rejections.append(Rejection(file, row, field_name, english(reason)))

    def merge(self, other: QualityReport) -> None:
        self.files.extend(f for f in other.files if f not in self.files)
        self.rows_read += other.rows_read
        self.rows_loaded += other.rows_loaded
        self.rows_rejected += other.rows_rejected
        self.rows_merged += other.rows_merged
        self.rejections.extend(other.rejections)
        self.warnings.extend(other.warnings)
        for table, n in other.tables.items():
            self.tables[table] = self.tables.get(table, 0) + n

    def first_rejection(self) -> str:
        """The first refused record as one line, or "-"."""
        if not self.rejections:
            return "-"
        r = self.rejections[0]
        where = r.file if r.row is None else f"{r.file}, {row_label(r.file, r.row)}"
        field = r.field or t("err.connectors.load.record")
        return t("err.connectors.load.first", where=where, field=field, reason=recognised(r.reason))

    def summary(self, provider: str, path: Path | str) -> str:
        """One provider's load in one line: rows read, loaded, rejected, the
        first rejection and where the report is."""
        return t(
            "load.summary",
            provider=provider,
            read=self.rows_read,
            loaded=self.rows_loaded,
            rejected=self.rows_rejected,
            first=self.first_rejection(),
            report=path,
        )

    def require_rows(self, provider: str, path: Path | str) -> None:
        """A provider with nothing loaded cannot serve a job: say which and why."""
        if self.rows_loaded == 0 and self.rows_merged == 0:
            raise NoUsableData(self, provider, path)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejections"] = [asdict(r) for r in self.rejections]
        return data

    def write(self, path: Path) -> None:
        write_json_atomic(path, self.to_dict())


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
