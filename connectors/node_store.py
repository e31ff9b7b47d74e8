"""A node's local DuckDB: its canonical tables, load history and dataset versions.

Everything here stays on the provider's machine. Writes happen in one
transaction per load, so a failed load leaves the tables as they were.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from connectors.canonical import DATASETS, TABLES, TableSpec, said_sql
from connectors.quality import QualityReport
from trusted_space.core.private import private_dir, private_files
from trusted_space.core.progress import reporter, sql_progress

# The statements of a load that each pass over every staged row: the load's
# progress (rows) advances through them, each as DuckDB reports its own.
LOAD_STEPS = 5

STAGING = "_staging"
# DuckDB's working memory per node store; beyond it, loads and feature SQL
# spill to disk beside the database (node.duckdb.tmp) instead of growing.
MEMORY_LIMIT = os.environ.get("TSPACE_DUCKDB_MEMORY", "2GB")


# Write transactions ended per database file, by every NodeStore of this process.
_generations: dict[str, int] = {}
_generations_lock = threading.Lock()


class NodeStore:
    def __init__(self, node_dir: Path, *, read_only: bool = False) -> None:
        self.dir = Path(node_dir)
        private_dir(self.dir)  # a provider's rows: its owner's only (0700, files 0600)
        self.path = self.dir / "node.duckdb"
        self._key = str(self.path.resolve())
        self.con = duckdb.connect(
            str(self.path), read_only=read_only, config={"memory_limit": MEMORY_LIMIT}
        )
        private_files(self.dir, "node.duckdb", "node.duckdb.wal")
        self._depth = 0
        # datasets() per version, read once: every write goes through
        # transaction(), which forgets it (one process holds the file).
        self._datasets: dict[str, tuple[int, int]] | None = None
        if not read_only:
            self._create_schema()

    @property
    def generation(self) -> int:
        """How many write transactions have ended on this database in this
        process: what was read at one generation is current while it stays.
        DuckDB lets one process at a time open the file for writing, so no
        other process can change it meanwhile."""
        return _generations.get(self._key, 0)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> NodeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create_schema(self) -> None:
        for spec in TABLES.values():
            self.con.execute(spec.ddl())
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS loads (load_no INTEGER PRIMARY KEY, loaded_at TIMESTAMP, "
            "source VARCHAR, tables VARCHAR, rows_loaded BIGINT, rows_rejected BIGINT)"
        )
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS dataset_versions (dataset VARCHAR PRIMARY KEY, "
            "version INTEGER, subjects BIGINT, digest VARCHAR)"
        )
        # Consent records and opt-outs (docs/consent.md). An opted-out subject
        # leaves every dataset at its next version and every cohort at once.
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS consents (subject VARCHAR, consumer VARCHAR, "
            "product VARCHAR, purpose VARCHAR, expires DATE, evidence VARCHAR, "
            "recorded_at TIMESTAMP, revoked_at TIMESTAMP, "
            "PRIMARY KEY (subject, consumer, product, purpose))"
        )
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS opt_outs (subject VARCHAR PRIMARY KEY, "
            "evidence VARCHAR, recorded_at TIMESTAMP)"
        )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction; nested uses join the outermost, so a connector can
        load several tables all or nothing."""
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self._depth = 1
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            # After the commit: a reader that saw the new rows under the old
            # generation is discarded, never the other way round.
            self._depth = 0
            self._datasets = None
            with _generations_lock:
                _generations[self._key] = _generations.get(self._key, 0) + 1

    # -- loading ------------------------------------------------------------
    def load_table(
        self,
        spec: TableSpec,
        staging: pa.Table,
        report: QualityReport,
        *,
        replace: bool = False,
        existing: Literal["reject", "keep"] = "reject",
    ) -> None:
        """Validate ``staging`` (string columns named as ``spec`` plus ``_file``
        and ``_row``) and insert the valid rows into ``spec.name``.

        Every rejected record lands in ``report`` with file, row, field and
        reason; rows with a key already loaded (or repeated in the same input)
        are rejected as duplicates, so nothing is silently overwritten. With
        ``existing="keep"`` such rows are merged into the row already there
        (the first one stays) and counted as ``rows_merged``.
        """
        missing = [c.name for c in spec.columns if c.name not in staging.column_names]
        for name in missing:
            staging = staging.append_column(name, pa.nulls(staging.num_rows, pa.string()))
        # Input order decides which copy of a duplicated key is kept: the first.
        staging = staging.append_column("_ord", pa.array(range(staging.num_rows), pa.int64()))
        with self.transaction() as con:
            con.register(STAGING, staging)
            try:
                self._load_registered(con, spec, report, replace, existing)
            finally:
                # In an aborted transaction this fails too; the first error matters.
                with contextlib.suppress(duckdb.Error):
                    con.unregister(STAGING)
            self._bump_versions(con, spec.name)

    def _load_registered(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: TableSpec,
        report: QualityReport,
        replace: bool,
        existing: str,
    ) -> None:
        staged_rows = con.execute(f"SELECT count(*) FROM {STAGING}").fetchone()
        rows_in = int(staged_rows[0]) if staged_rows else 0
        if reporter() is not None:
            # Our bar, from DuckDB's figures: not DuckDB's own on stdout as well.
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = false")

        def step(n: int) -> contextlib.AbstractContextManager[None]:
            return sql_progress(con, "load", rows_in, n, LOAD_STEPS)

        norm = ", ".join(
            c.normalise_sql(f'CAST("{c.name}" AS VARCHAR)') + f" AS {c.name}" for c in spec.columns
        )
        with step(0):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _norm AS SELECT _file, _row, _ord, {norm} "
                f"FROM {STAGING}"
            )
        checks = [
            f"SELECT _ord, _file, _row, '{c.name}' AS field, {c.error_sql(c.name)} AS reason "
            "FROM _norm"
            for c in spec.columns
        ]
        checks += [
            f"SELECT _ord, _file, _row, '{rc.field}' AS field, '{rc.reason}' AS reason FROM _norm "
            f"WHERE ({rc.condition})"
            for rc in spec.row_checks
        ]
        with step(1):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _errors AS SELECT * FROM ("
                + " UNION ALL ".join(checks)
                + ") WHERE reason IS NOT NULL"
            )
        if replace:
            # Dropping and recreating is ten times faster than deleting every
            # row under the primary-key index, and just as transactional.
            con.execute(f"DROP TABLE {spec.name}")
            con.execute(spec.ddl())
        key = ", ".join(spec.key)
        key_match = " AND ".join(f"t.{k} = v.{k}" for k in spec.key)
        with step(2):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _valid AS SELECT * FROM _norm n WHERE NOT EXISTS "
                "(SELECT 1 FROM _errors e WHERE e._ord = n._ord)"
            )
        first_key = spec.key[-1]
        # The reasons in English (the report's); the file and row of the first are SQL.
        duplicate = (
            said_sql(
                "err.connectors.value.duplicate_key", columns=key, file="\x00file", row="\x00row"
            )
            .replace("\x00file", "' || first_file || '")
            .replace("\x00row", "' || first_row || '")
        )
        already = said_sql("err.connectors.value.already_loaded", columns=key)
        with step(3):
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _dups AS
            SELECT _ord, _file, _row, '{first_key}', {duplicate}
            FROM (SELECT _ord, _file, _row,
                         first(_file ORDER BY _ord) OVER w AS first_file,
                         first(_row ORDER BY _ord) OVER w AS first_row,
                         first(_ord ORDER BY _ord) OVER w AS first_ord
                  FROM _valid WINDOW w AS (PARTITION BY {key}))
            WHERE _ord <> first_ord
            UNION ALL
            SELECT v._ord, v._file, v._row, '{first_key}', {already}
            FROM _valid v WHERE EXISTS (SELECT 1 FROM {spec.name} t WHERE {key_match})"""
            )
        merged = 0
        if existing == "reject":
            con.execute("INSERT INTO _errors SELECT * FROM _dups")
        else:
            row = con.execute("SELECT count(DISTINCT _ord) FROM _dups").fetchone()
            merged = int(row[0]) if row else 0
        casts = ", ".join(c.cast_sql(c.name) for c in spec.columns)
        with step(4):
            inserted = con.execute(
                f"INSERT INTO {spec.name} SELECT {casts} FROM _valid n WHERE NOT EXISTS "
                "(SELECT 1 FROM _errors e WHERE e._ord = n._ord) "
                "AND NOT EXISTS (SELECT 1 FROM _dups d WHERE d._ord = n._ord)"
            ).fetchone()
        loaded = int(inserted[0]) if inserted else 0
        rows = con.execute(
            "SELECT _file, _row, field, reason FROM _errors ORDER BY _ord, field"
        ).fetchall()
        for file, row, field, reason in rows:
            report.reject(file, int(row) if row is not None else None, field, reason)
        read = con.execute(f"SELECT count(*) FROM {STAGING}").fetchone()
        assert read is not None
        report.rows_read += int(read[0])
        report.rows_loaded += loaded
        report.rows_merged += merged
        report.rows_rejected += int(read[0]) - loaded - merged
        report.tables[spec.name] = report.tables.get(spec.name, 0) + loaded
        con.execute(
            "INSERT INTO loads SELECT coalesce(max(load_no), 0) + 1, ?, ?, ?, ?, ? FROM loads",
            [
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                report.source,
                spec.name,
                loaded,
                int(read[0]) - loaded - merged,
            ],
        )
        for temp in ("_norm", "_errors", "_valid", "_dups"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")

    def _bump_versions(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        for dataset, sources in DATASETS.items():
            if table not in {t for t, _ in sources}:
                continue
            row = con.execute(
                "SELECT count(*), coalesce(bit_xor(hash(subject)), 0) "
                f"FROM ({subjects_sql(dataset)})"
            ).fetchone()
            assert row is not None
            subjects, digest = int(row[0]), format(int(row[1]), "016x")
            current = con.execute(
                "SELECT version, digest FROM dataset_versions WHERE dataset = ?", [dataset]
            ).fetchone()
            if current is None:
                con.execute(
                    "INSERT INTO dataset_versions VALUES (?, 1, ?, ?)", [dataset, subjects, digest]
                )
            elif current[1] != digest:
                con.execute(
                    "UPDATE dataset_versions SET version = version + 1, subjects = ?, digest = ? "
                    "WHERE dataset = ?",
                    [subjects, digest, dataset],
                )

    # -- consent and opt-outs ----------------------------------------------------
    def record_consents(self, rows: list[tuple[str, str, str, str, dt.date, str]]) -> int:
        """Store (subject, consumer, product, purpose, expires, evidence) records;
        a record for the same subject, consumer, product and purpose replaces
        the earlier one (and lifts its revocation)."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self.transaction() as con:
            for row in rows:
                con.execute(
                    "INSERT OR REPLACE INTO consents VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                    [*row, now],
                )
        return len(rows)

    def revoke_consents(
        self,
        subject: str,
        consumer: str | None = None,
        product: str | None = None,
        purpose: str | None = None,
    ) -> int:
        """Revoke a subject's live consents (all, or those matching); return how many."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self.transaction() as con:
            where = "subject = ? AND revoked_at IS NULL"
            params: list[object] = [subject]
            for column, value in (
                ("consumer", consumer),
                ("product", product),
                ("purpose", purpose),
            ):
                if value is not None:
                    where += f" AND {column} = ?"
                    params.append(value)
            (count,) = con.execute(
                f"SELECT count(*) FROM consents WHERE {where}", params
            ).fetchall()[0]
            con.execute(f"UPDATE consents SET revoked_at = ? WHERE {where}", [now, *params])
        return int(count)

    def opt_out(self, subject: str, evidence: str) -> None:
        """The subject withdraws: its consents are revoked and it leaves every
        dataset (a new version, so cached PSI setups are rebuilt) and cohort."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO opt_outs VALUES (?, ?, ?)", [subject, evidence, now]
            )
            con.execute(
                "UPDATE consents SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL",
                [now, subject],
            )
            for sources in DATASETS.values():
                self._bump_versions(con, sources[0][0])

    def withheld(
        self,
        subjects: list[str],
        consumer: str | None,
        product: str,
        purpose: str,
        on: dt.date,
    ) -> set[str]:
        """The subjects to withhold from a job: every one who opted out, and,
        when ``consumer`` is given, every one without a live consent for that
        consumer, product and purpose on date ``on``."""
        if not subjects:
            return set()
        self.con.register("_asked", pa.table({"subject": pa.array(subjects, pa.string())}))
        try:
            sql = "SELECT subject FROM _asked WHERE subject IN (SELECT subject FROM opt_outs)"
            params: list[object] = []
            if consumer is not None:
                sql += (
                    " OR subject NOT IN (SELECT subject FROM consents WHERE consumer = ? "
                    "AND product = ? AND purpose = ? AND revoked_at IS NULL AND expires >= ?)"
                )
                params = [consumer, product, purpose, on]
            rows = self.con.execute(sql, params).fetchall()
        finally:
            self.con.unregister("_asked")
        return {str(r[0]) for r in rows}

    def consent_counts(self) -> dict[str, int]:
        """Live consents, revoked consents and opt-outs (counts only)."""
        (live, revoked) = self.con.execute(
            "SELECT count(*) FILTER (WHERE revoked_at IS NULL), "
            "count(*) FILTER (WHERE revoked_at IS NOT NULL) FROM consents"
        ).fetchall()[0]
        (opted,) = self.con.execute("SELECT count(*) FROM opt_outs").fetchall()[0]
        return {"live": int(live), "revoked": int(revoked), "opted_out": int(opted)}

    # -- reading --------------------------------------------------------------
    def dataset_stats(self, dataset: str) -> dict[str, int]:
        """Aggregate counts of a dataset for its product card: subjects, rows
        per table, and the last load's loaded and rejected rows per table."""
        current = self.datasets().get(dataset)
        stats = {"subjects": current[1] if current else 0}
        for table, _ in DATASETS[dataset]:
            (rows,) = self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
            stats[f"rows.{table}"] = int(rows)
            last = self.con.execute(
                "SELECT rows_loaded, rows_rejected FROM loads WHERE tables = ? "
                "ORDER BY load_no DESC LIMIT 1",
                [table],
            ).fetchall()
            if last:
                stats[f"loaded.{table}"], stats[f"rejected.{table}"] = map(int, last[0])
        return stats

    def datasets(self) -> dict[str, tuple[int, int]]:
        """dataset -> (version, subjects) for every dataset with subjects."""
        if self._datasets is None or self._depth:  # inside a transaction: not cached
            rows = self.con.execute(
                "SELECT dataset, version, subjects FROM dataset_versions WHERE subjects > 0"
            ).fetchall()
            self._datasets = {d: (int(v), int(s)) for d, v, s in rows}
        return dict(self._datasets)

    def distinct_values(self, table: str, column: str) -> set[str]:
        """The distinct non-empty values of one column of a canonical table
        (the hospitals a group runs): read afresh, so a load is seen at once."""
        if table not in TABLES or column not in TABLES[table].column_names:
            raise KeyError(f"no column {table}.{column}")
        rows = self.con.execute(
            f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"
        ).fetchall()
        return {str(v) for (v,) in rows}

    def subject_ids(self, dataset: str) -> list[str]:
        """Distinct subject ids of a dataset (person ids, company keys), for the
        PSI setup: every subject that has not opted out."""
        table = self.con.sql(subjects_sql(dataset)).to_arrow_table()
        ids: list[str] = table.column("subject").to_pylist()
        return ids


def subjects_sql(dataset: str) -> str:
    """Distinct subjects of a dataset's tables, less those who opted out."""
    union = " UNION ".join(f"SELECT {c} AS subject FROM {t}" for t, c in DATASETS[dataset])
    return (
        f"SELECT DISTINCT subject FROM ({union}) "
        "WHERE subject NOT IN (SELECT subject FROM opt_outs)"
    )
