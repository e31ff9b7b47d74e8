"""Feature SQL by partition: a provider's per-subject SQL on the pool or Ray.

A product's feature SQL computes each subject's row from that subject's own
rows (every query groups by the subject's handle). So the subjects can be
split by a hash of the identifier into independent partitions: each worker
gets one partition's subjects, the rows of the dataset's tables that belong
to them, and the small reference tables (currency rates) whole, and runs the
same SQL in an in-memory DuckDB. The rows of all partitions together equal
the single-process result exactly (tests compare them on both backends).

Rows cross to the workers as Arrow tables: a Ray cluster that runs this must
belong to the provider, as its process pool does (trusted_space/bulk/parallel.py).

When it is used: on Ray, from ``PARTITION_FROM`` subjects, where a cluster
brings more cores than the node's machine. On the local process pool the
node's own DuckDB, which already runs one query on every core, is faster:
bench/features.py measured a 100,000-subject batch at 0.52 s partitioned
on 2 workers against 0.07 s in one query, the copies to the workers
dominating. The partitioned path runs on the pool whenever ``parts`` asks
for it (tests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from trusted_space.bulk import parallel

PARTITION_FROM = 50_000
_PART = "_tspace_part"


def feature_rows(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    subjects: pa.Table,
    *,
    keyed: Sequence[tuple[str, str]],
    reference: Sequence[str] = (),
    params: Mapping[str, Any],
    parts: int | None = None,
) -> pa.Table:
    """Run ``sql`` over ``subjects(handle, subject)`` and the node's tables.

    ``keyed`` names the tables (with their subject column) whose rows belong
    to one subject; ``reference`` the tables every partition reads whole.
    ``parts`` sets the number of partitions (None: one per Ray worker once
    the batch reaches PARTITION_FROM on Ray, else one query in ``con``)."""
    if parts is None:
        on_ray = parallel.backend_name() == "ray"
        parts = parallel.workers() if on_ray and subjects.num_rows >= PARTITION_FROM else 1
    if parts <= 1:
        con.register("subjects", subjects)
        try:
            return con.sql(sql, params=dict(params)).to_arrow_table()
        finally:
            con.unregister("subjects")
    split = _split(con, subjects, keyed, reference, parts)
    tables = parallel.starmap(_run_partition, [(sql, t, dict(params)) for t in split])
    return pa.concat_tables(tables)


def _split(
    con: duckdb.DuckDBPyConnection,
    subjects: pa.Table,
    keyed: Sequence[tuple[str, str]],
    reference: Sequence[str],
    parts: int,
) -> list[dict[str, pa.Table]]:
    """Per partition (that holds a subject): its subjects and rows, by table name."""
    con.register("_tspace_subjects", subjects)
    try:
        whole = {
            "subjects": con.sql(
                f"SELECT *, hash(subject) % {parts} AS {_PART} FROM _tspace_subjects"
            ).to_arrow_table()
        }
        for table, column in keyed:
            whole[table] = con.sql(
                f"SELECT t.*, hash(t.{column}) % {parts} AS {_PART} FROM {table} AS t "
                f"WHERE t.{column} IN (SELECT subject FROM _tspace_subjects)"
            ).to_arrow_table()
        shared = {table: con.sql(f"SELECT * FROM {table}").to_arrow_table() for table in reference}
    finally:
        con.unregister("_tspace_subjects")
    out = []
    for part in range(parts):
        mine = {
            name: table.filter(pc.equal(table.column(_PART), part)).drop_columns([_PART])
            for name, table in whole.items()
        }
        if mine["subjects"].num_rows:
            out.append({**mine, **shared})
    return out


def _run_partition(sql: str, tables: dict[str, pa.Table], params: dict[str, Any]) -> pa.Table:
    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(sql, params=params).to_arrow_table()
    finally:
        con.close()
