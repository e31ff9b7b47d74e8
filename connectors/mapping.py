"""Column mappings: how a provider's own column names map to a canonical table.

A mapping file (YAML or JSON)::

    table: hospital_visits
    encoding: gb18030            # optional; default: UTF-8, else GB18030
    columns:                     # canonical name: source column
      person_id: 身份证号
      visit_id: 就诊流水号
      visit_date: 就诊日期
    constants:                   # canonical name: the same value on every row
      hospital_id: H310101
    values:                      # canonical name: {source value: canonical value}
      visit_type: {门诊: outpatient, 住院: inpatient, 急诊: emergency}
    source_table: visits         # DuckDB sources only: the table to read

Without a mapping, a file's header must name a canonical table's columns.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from connectors.canonical import TABLES, TableSpec, table_for_header
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, t

_KEYS = {"table", "encoding", "columns", "constants", "values", "source_table"}


@dataclass(frozen=True)
class ColumnMapping:
    table: TableSpec
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    encoding: str | None = None
    source_table: str | None = None

    @classmethod
    def load(cls, path: Path) -> ColumnMapping:
        try:
            text = Path(path).read_text(encoding="utf-8")
            data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            raise InputError(
                Text("mapping.unreadable", reason=exc), Location(str(path), None, None)
            ) from exc
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: Any, origin: str = "mapping") -> ColumnMapping:
        where = Location(origin, None, None)
        if not isinstance(data, dict):
            raise InputError(Text("mapping.not_mapping"), where)
        unknown = set(data) - _KEYS
        if unknown:
            raise InputError(Text("mapping.unknown_keys", keys=", ".join(sorted(unknown))), where)
        table = data.get("table")
        if table not in TABLES:
            raise InputError(Text("mapping.table", tables=", ".join(TABLES)), where)
        spec = TABLES[table]
        sections: dict[str, dict[str, Any]] = {}
        for section in ("columns", "constants", "values"):
            value = data.get(section) or {}
            if not isinstance(value, dict):
                raise InputError(Text("mapping.section", section=section), where)
            bad = [k for k in value if k not in spec.column_names]
            if bad:
                raise InputError(
                    Text(
                        "mapping.bad_columns",
                        section=section,
                        bad=bad,
                        table=table,
                        columns=", ".join(spec.column_names),
                    ),
                    where,
                )
            sections[section] = value
        values = {
            k: {str(a): str(b) for a, b in v.items()}
            for k, v in sections["values"].items()
            if isinstance(v, dict)
        }
        return cls(
            table=spec,
            columns={k: str(v) for k, v in sections["columns"].items()},
            constants={k: str(v) for k, v in sections["constants"].items()},
            values=values,
            encoding=data.get("encoding"),
            source_table=data.get("source_table"),
        )

    @classmethod
    def identity(cls, header: list[str], origin: str) -> ColumnMapping:
        spec = table_for_header(header)
        if spec is None:
            raise InputError(_unmatched_header(header), Location(origin, None, None))
        absent = [c for c in spec.column_names if c not in header]
        if absent:
            raise InputError(
                Text(
                    "mapping.absent_columns" if len(absent) > 1 else "mapping.absent_column",
                    absent=", ".join(absent),
                    table=spec.name,
                    header=", ".join(header) if header else Text("mapping.no_columns"),
                ),
                Location(origin, None, None),
            )
        return cls(table=spec, columns={c: c for c in spec.column_names if c in header})

    def apply(self, table: pa.Table, origin: str) -> pa.Table:
        """Rename, add constants and translate values; the result holds
        canonical string columns plus ``_file`` and ``_row``."""
        missing = [src for src in self.columns.values() if src not in table.column_names]
        if self.table.name and not self.columns and not self.constants:
            raise InputError(Text("mapping.no_mapped"), Location(origin, None, None))
        if missing:
            raise InputError(
                Text("mapping.absent", missing=missing, columns=", ".join(table.column_names)),
                Location(origin, None, None),
            )
        n = table.num_rows
        out: dict[str, pa.Array | pa.ChunkedArray] = {}
        for canonical, source in self.columns.items():
            column = table.column(source)
            if not pa.types.is_string(column.type):
                column = pc.cast(column, pa.string())
            out[canonical] = column
        for canonical, value in self.constants.items():
            out[canonical] = pa.repeat(pa.scalar(value, pa.string()), n)
        for canonical, translation in self.values.items():
            if canonical in out:
                column = out[canonical]
                keys = pa.array(list(translation), pa.string())
                index = pc.index_in(column, value_set=keys)
                mapped = pc.take(pa.array(list(translation.values()), pa.string()), index)
                out[canonical] = pc.if_else(pc.is_null(index), column, mapped)
        out["_file"] = pa.repeat(pa.scalar(origin, pa.string()), n)
        out["_row"] = (
            table.column("_row")
            if "_row" in table.column_names
            else pa.array(range(1, n + 1), pa.int64())
        )
        return pa.table(out)


def _unmatched_header(header: list[str]) -> str:
    """Which required column the nearest canonical table misses (with the
    header's likeliest stand-in), and what works in every command: rename
    it, or load the file with a column mapping."""
    names = set(header)
    scored = sorted(
        TABLES.values(), key=lambda t: -len(set(t.required_names) & names) / len(t.required_names)
    )
    best = scored[0]
    have = len(set(best.required_names) & names)
    if have == 0 or (
        len(scored) > 1
        and have * len(scored[1].required_names)
        == len(set(scored[1].required_names) & names) * len(best.required_names)
    ):
        expected = "; ".join(f"{t.name}: {', '.join(t.required_names)}" for t in TABLES.values())
        return t("mapping.no_table", expected=expected)
    missing = [c for c in best.required_names if c not in names]
    unused = [h for h in header if h not in best.column_names]
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, unused, n=1, cutoff=0.5)
        hints.append(t("mapping.column_hint", column=column, close=close[0]) if close else column)
    return t("mapping.missing_columns", table=best.name, columns=", ".join(hints))
