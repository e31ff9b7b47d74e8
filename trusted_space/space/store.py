"""The space's state in one SQLite file (DIR/space/space.sqlite).

SQLite in WAL mode: transactional, survives restarts, and safe for the
service's concurrent requests. Each state change and its ledger entry commit
together.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trusted_space.core.private import FILE_MODE, private_dir, private_files

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, suite TEXT,
    signing_key TEXT, sealing_key TEXT, registered_at TEXT NOT NULL, key_statement TEXT);
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS models (
    sha256 TEXT PRIMARY KEY, document BLOB NOT NULL, published_by TEXT NOT NULL,
    published_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
    provider TEXT NOT NULL, dataset TEXT NOT NULL, version INTEGER NOT NULL,
    max_client_items INTEGER NOT NULL, fpr REAL NOT NULL, setup BLOB NOT NULL,
    offered_at TEXT NOT NULL, PRIMARY KEY (provider, dataset, version));
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, consumer TEXT NOT NULL, product TEXT NOT NULL,
    spec TEXT NOT NULL, state TEXT NOT NULL, step TEXT NOT NULL, reasons TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, node TEXT NOT NULL, kind TEXT NOT NULL,
    payload TEXT NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL,
    lease_until REAL, result_hash TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_node ON tasks(node, state);
CREATE TABLE IF NOT EXISTS usage (
    seq INTEGER PRIMARY KEY, job_id TEXT NOT NULL, time TEXT NOT NULL, consumer TEXT NOT NULL,
    product TEXT NOT NULL, decision TEXT NOT NULL, batch_size INTEGER NOT NULL, epsilon REAL);
CREATE INDEX IF NOT EXISTS usage_consumer ON usage(consumer, product, time);
CREATE TABLE IF NOT EXISTS blind_cache (
    provider TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (provider, key));
CREATE TABLE IF NOT EXISTS job_data (
    job_id TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (job_id, key));
-- Parts of a result too large for one request, by task and hash, until the
-- result naming them is taken (or its job ends).
CREATE TABLE IF NOT EXISTS task_parts (
    task_id TEXT NOT NULL, digest TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (task_id, digest));
"""


class SpaceStore:
    def __init__(self, space_dir: Path, *, max_pages: int | None = None) -> None:
        self.dir = Path(space_dir)
        private_dir(self.dir)  # ledger, sealed boxes, ciphertexts: 0700, files 0600
        self.path = self.dir / "space.sqlite"
        if not self.path.exists():  # SQLite's -wal and -shm files take its mode
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
        private_files(self.dir, "space.sqlite", "space.sqlite-wal", "space.sqlite-shm")
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._add_columns()
        # An operator's cap on the database's size, in pages: past it a write
        # fails as on a full disk (the transaction rolls back, nothing is lost).
        if max_pages is not None:
            self.db.execute(f"PRAGMA max_page_count = {int(max_pages)}")

    def _add_columns(self) -> None:
        """Columns added since a space's file was created."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(participants)")}
        if "key_statement" not in columns:  # the participant's signed keys (issue 22, item 1)
            self.db.execute("ALTER TABLE participants ADD COLUMN key_statement TEXT")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; rolled back on any error, a failed COMMIT included
        (a full disk): the connection is never left inside a transaction.

        ``durable=False`` is for soft state only (task leases): its COMMIT
        skips the disk flush, so a power cut may undo it (a crash of the
        process cannot), and the next durable commit flushes it with its own.
        An undone lease only offers its task again."""
        if not durable:
            self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        finally:
            if not durable:
                self.db.execute("PRAGMA synchronous=FULL")

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def put_data(self, job_id: str, key: str, value: bytes) -> None:
        self.db.execute(
            "INSERT INTO job_data (job_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT(job_id, key) DO UPDATE SET value = excluded.value",
            (job_id, key, value),
        )

    def get_data(self, job_id: str, key: str) -> bytes | None:
        row = self.db.execute(
            "SELECT value FROM job_data WHERE job_id = ? AND key = ?", (job_id, key)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def data_keys(self, job_id: str, prefix: str) -> list[str]:
        rows = self.db.execute(
            "SELECT key FROM job_data WHERE job_id = ? AND key LIKE ? ORDER BY key",
            (job_id, prefix.replace("%", r"\%") + "%"),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def drop_data(self, job_id: str, keep: tuple[str, ...] = ()) -> None:
        marks = ",".join("?" for _ in keep) or "''"
        self.db.execute(
            f"DELETE FROM job_data WHERE job_id = ? AND key NOT IN ({marks})", (job_id, *keep)
        )

    # -- parts of large results (see Tasks.put_part) -------------------------------------
    def put_part(self, task_id: str, digest: str, value: bytes) -> None:
        self.db.execute(
            "INSERT INTO task_parts (task_id, digest, value) VALUES (?, ?, ?) "
            "ON CONFLICT(task_id, digest) DO NOTHING",
            (task_id, digest, value),
        )

    def parts_size(self, task_id: str) -> int:
        """The bytes of the parts stored for one task."""
        row = self.db.execute(
            "SELECT coalesce(sum(length(value)), 0) FROM task_parts WHERE task_id = ?", (task_id,)
        ).fetchone()
        return int(row[0])

    def get_part(self, task_id: str, digest: str) -> bytes | None:
        row = self.db.execute(
            "SELECT value FROM task_parts WHERE task_id = ? AND digest = ?", (task_id, digest)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def drop_parts(self, *, task_id: str | None = None, job_id: str | None = None) -> None:
        """The parts of one task, or of every task of one job."""
        if task_id is not None:
            self.db.execute("DELETE FROM task_parts WHERE task_id = ?", (task_id,))
        if job_id is not None:
            self.db.execute(
                "DELETE FROM task_parts WHERE task_id IN "
                "(SELECT task_id FROM tasks WHERE job_id = ?)",
                (job_id,),
            )

    # -- the blind lookup's cache: a provider's epoch tokens and masked uploads --------
    def put_cached(self, provider: str, key: str, value: bytes) -> None:
        self.db.execute(
            "INSERT INTO blind_cache (provider, key, value, created_at) "
            "VALUES (?, ?, ?, datetime('now')) "
            "ON CONFLICT(provider, key) DO UPDATE SET value = excluded.value",
            (provider, key, value),
        )

    def get_cached(self, provider: str, key: str) -> bytes | None:
        row = self.db.execute(
            "SELECT value FROM blind_cache WHERE provider = ? AND key = ?", (provider, key)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def cached_keys(self, provider: str, prefix: str) -> list[str]:
        rows = self.db.execute(
            "SELECT key FROM blind_cache WHERE provider = ? AND key LIKE ? ESCAPE '\\' "
            "ORDER BY key",
            (provider, prefix.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"),
        ).fetchall()
        return [str(r[0]) for r in rows]
