"""Join tokens: keyed hashes of identifiers, and the space's join of two token sets.

A provider turns each identifier into ``suite.hmac(job_key, id)`` under a key
held by the providers of one job and never by the space; the space joins the
two providers' token columns in DuckDB without learning any identifier.

Tokens travel as one bytes blob of TOKEN_BYTES each and are read by DuckDB as
an Arrow fixed-size binary column over that very buffer (no Python object per
token). The join runs under a memory limit and spills to disk beyond it.
Tokenisation of a large batch runs on every core (trusted_space/parallel),
each worker taking a contiguous slice, so the blob is in input order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import numpy as np
import pyarrow as pa

from trusted_space.bulk.parallel import starmap, workers
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.crypto import CryptoSuite, get_suite
from trusted_space.protocol.messages import TOKEN_BYTES

# Below this many ids one process tokenises: a worker costs more than it saves.
PARALLEL_ABOVE = 200_000
JOIN_MEMORY_LIMIT = "2GB"
# Up to this many tokens on the left, ``join`` runs in numpy here: a new DuckDB
# connection alone costs tens of milliseconds, most of a one-applicant job.
SORTED_JOIN_LEFT = 100_000


def _tokenise_part(suite_name: str, key: bytes, ids: pa.Array) -> bytes:
    return get_suite(suite_name).hmac_many(key, (i.encode("utf-8") for i in ids.to_pylist()))


def tokenise(suite: CryptoSuite, key: bytes, ids: Sequence[str] | pa.Array) -> bytes:
    """The tokens of ``ids`` in order, TOKEN_BYTES each, concatenated."""
    if len(ids) < PARALLEL_ABOVE or workers() == 1:
        items = ids.to_pylist() if isinstance(ids, pa.Array) else ids
        return suite.hmac_many(key, (i.encode("utf-8") for i in items))
    column = ids if isinstance(ids, pa.Array) else pa.array(ids, pa.string())
    size = -(-len(column) // (2 * workers()))
    # concat_arrays copies a slice: a pickled slice would carry the whole column.
    parts = [pa.concat_arrays([column.slice(i, size)]) for i in range(0, len(column), size)]
    return b"".join(
        starmap(
            _tokenise_part,
            [(suite.name, key, p) for p in parts],
            label="tokens",
            sizes=[len(p) for p in parts],
        )
    )


def token_column(blob: bytes) -> pa.FixedSizeBinaryArray:
    """The tokens of a blob as an Arrow column over the blob's own buffer."""
    if len(blob) % TOKEN_BYTES:
        raise ProtocolError(Text("err.base.bulk.token_size", n=TOKEN_BYTES))
    count = len(blob) // TOKEN_BYTES
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(TOKEN_BYTES), count, [None, pa.py_buffer(blob)]
    )


@contextmanager
def _connect() -> Iterator[duckdb.DuckDBPyConnection]:
    with tempfile.TemporaryDirectory(prefix="tspace-join-") as spill, duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{JOIN_MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET preserve_insertion_order = false")
        yield con


def _indexed(blob: bytes) -> pa.Table:
    column = token_column(blob)
    return pa.table({"token": column, "i": pa.array(np.arange(len(column), dtype=np.int64))})


def count_distinct(blob: bytes) -> int:
    """How many different tokens a blob holds (a repeated token is refused upstream)."""
    with _connect() as con:
        con.register("t", pa.table({"token": token_column(blob)}))
        ((count,),) = con.sql("SELECT count(DISTINCT token) FROM t").fetchall()
    return int(count)


def _join_sorted(left: bytes, right: bytes) -> tuple[np.ndarray, np.ndarray]:
    """``join`` for a small left side, in this process: every right token whose
    first 8 bytes are some left token's (a binary search in the sorted left
    prefixes) is a candidate, kept only when all TOKEN_BYTES are equal."""
    width = TOKEN_BYTES // 8
    left_keys = np.frombuffer(left, dtype="<u8")[::width]
    right_keys = np.frombuffer(right, dtype="<u8")[::width]
    if not len(left_keys) or not len(right_keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ordered = np.sort(left_keys)
    at = np.minimum(np.searchsorted(ordered, right_keys), len(ordered) - 1)
    candidates = np.flatnonzero(ordered[at] == right_keys)
    where: dict[bytes, list[int]] = {}
    for i in range(len(left_keys)):
        where.setdefault(left[i * TOKEN_BYTES : (i + 1) * TOKEN_BYTES], []).append(i)
    pairs = [
        (li, ri)
        for ri in candidates.tolist()
        for li in where.get(right[ri * TOKEN_BYTES : (ri + 1) * TOKEN_BYTES], ())
    ]
    pairs.sort()
    out = np.array(pairs, dtype=np.int64).reshape(len(pairs), 2)
    return out[:, 0].copy(), out[:, 1].copy()


def join(left: bytes, right: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Positions (left, right) of every token both blobs hold, by left position
    (then right). A left side of up to SORTED_JOIN_LEFT tokens (a lookup
    batch) is joined in this process; a larger one in DuckDB, under a memory
    limit and spilling beyond it."""
    if len(left) % TOKEN_BYTES or len(right) % TOKEN_BYTES:
        raise ProtocolError(Text("err.base.bulk.token_size", n=TOKEN_BYTES))
    if len(left) // TOKEN_BYTES <= SORTED_JOIN_LEFT:
        return _join_sorted(left, right)
    with _connect() as con:
        con.register("l", _indexed(left))
        con.register("r", _indexed(right))
        result = con.sql(
            "SELECT l.i AS li, r.i AS ri FROM l JOIN r USING (token) ORDER BY l.i, r.i"
        ).fetchnumpy()
    return np.asarray(result["li"], dtype=np.int64), np.asarray(result["ri"], dtype=np.int64)
