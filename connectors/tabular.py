"""CSV, Parquet and DuckDB sources with a declared column mapping."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from connectors.base import Connector, LoadOptions
from connectors.csv_reader import read_csv
from connectors.files import given_files
from connectors.mapping import ColumnMapping
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, english


def _files(paths: Sequence[Path], suffixes: tuple[str, ...]) -> list[Path]:
    return list(given_files(paths, lambda f: f.suffix.lower() in suffixes))


class _MappedConnector(Connector):
    """Reads each file to string columns, maps them and hands them to the store."""

    def load(self, paths: Sequence[Path], store: NodeStore, options: LoadOptions) -> QualityReport:
        mapping = ColumnMapping.load(options.mapping) if options.mapping else None
        report = QualityReport(source=self.kind)
        staged: list[tuple[ColumnMapping, pa.Table]] = []
        for path in self.files(paths):
            report.files.append(str(path))
            table = self.read(path, mapping, report)
            file_mapping = mapping or ColumnMapping.identity(
                [c for c in table.column_names if c != "_row"], str(path)
            )
            extra = set(table.column_names) - set(file_mapping.columns.values()) - {"_row"}
            if extra and mapping is None:
                columns = ", ".join(sorted(extra))
                said = Text("err.connectors.file.columns_ignored", path=path, columns=columns)
                report.warnings.append(english(said))
            staged.append((file_mapping, file_mapping.apply(table, str(path))))
        replaced: set[str] = set()
        for file_mapping, table in staged:
            spec = file_mapping.table
            store.load_table(
                spec, table, report, replace=options.replace and spec.name not in replaced
            )
            replaced.add(spec.name)
        return report

    def files(self, paths: Sequence[Path]) -> list[Path]:
        return [Path(p) for p in paths]

    def read(self, path: Path, mapping: ColumnMapping | None, report: QualityReport) -> pa.Table:
        raise NotImplementedError


class CsvConnector(_MappedConnector):
    kind = "csv"
    description = "CSV files (UTF-8 or GB18030) with canonical headers or a --mapping"

    def files(self, paths: Sequence[Path]) -> list[Path]:
        return _files(paths, (".csv",))

    def read(self, path: Path, mapping: ColumnMapping | None, report: QualityReport) -> pa.Table:
        result = read_csv(path, mapping.encoding if mapping else None)
        if result.encoding != "utf-8" and not (mapping and mapping.encoding):
            said = Text("err.connectors.file.read_as", path=path, encoding=result.encoding)
            report.warnings.append(english(said))
        for row, reason in result.malformed:
            report.reject(str(path), row, None, reason)
            report.rows_read += 1
            report.rows_rejected += 1
        return result.table


class ParquetConnector(_MappedConnector):
    kind = "parquet"
    description = "Parquet files with canonical column names or a --mapping"

    def files(self, paths: Sequence[Path]) -> list[Path]:
        return _files(paths, (".parquet", ".pq"))

    def read(self, path: Path, mapping: ColumnMapping | None, report: QualityReport) -> pa.Table:
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(
                Text("file.bad_parquet", reason=exc), Location(str(path), None, None)
            ) from exc
        return _as_strings(table)


class DuckdbConnector(_MappedConnector):
    kind = "duckdb"
    description = "A table of a DuckDB database file, named by the mapping's source_table"

    def read(self, path: Path, mapping: ColumnMapping | None, report: QualityReport) -> pa.Table:
        where = Location(str(path), None, None)
        if mapping is None or not mapping.source_table:
            raise InputError(Text("load.duckdb_table"), where)
        quoted = '"' + mapping.source_table.replace('"', '""') + '"'
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                table = con.sql(f"SELECT * FROM {quoted}").to_arrow_table()
        except duckdb.Error as exc:
            raise InputError(
                Text("load.table_unreadable", table=repr(mapping.source_table), reason=exc), where
            ) from exc
        return _as_strings(table)


def _as_strings(table: pa.Table) -> pa.Table:
    """Every column as text, as a CSV would have given it."""
    columns = []
    for column in table.columns:
        columns.append(column if pa.types.is_string(column.type) else column.cast(pa.string()))
    return pa.table(dict(zip(table.column_names, columns, strict=True)))
