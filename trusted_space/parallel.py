"""Bulk work on every core: a process pool started once, on demand.

Workers are spawned (not forked) so they never inherit a DuckDB connection or
a lock held by another thread. Small batches run inline: below a few hundred
values the pool's start-up and pickling cost more than they save.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import gmpy2

from trusted_space.hazmat.paillier import PaillierPublicKey

INLINE_BELOW = 256
_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    configured = os.environ.get("TSPACE_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(workers(), mp_context=multiprocessing.get_context("spawn"))
        atexit.register(shutdown)
    return _pool


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(cancel_futures=True)
        _pool = None


def _encrypt_chunk(n_hex: str, values: Sequence[int]) -> list[int]:
    key = PaillierPublicKey(int(n_hex, 16))
    return [int(key.encrypt(v)) for v in values]


def _rerandomise_chunk(n_hex: str, cts: Sequence[int]) -> list[int]:
    key = PaillierPublicKey(int(n_hex, 16))
    return [int(key.rerandomise(gmpy2.mpz(c))) for c in cts]


def _map_chunks(fn, public_key: PaillierPublicKey, items: Sequence[int]) -> list[gmpy2.mpz]:  # type: ignore[no-untyped-def]
    n = workers()
    size = -(-len(items) // (4 * n))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    n_hex = public_key.to_wire()
    out: list[gmpy2.mpz] = []
    for part in _get_pool().map(fn, [n_hex] * len(chunks), chunks):
        out.extend(gmpy2.mpz(c) for c in part)
    return out


def rerandomise_values(public_key: PaillierPublicKey, cts: Sequence[gmpy2.mpz]) -> list[gmpy2.mpz]:
    """Multiply each ciphertext by a fresh encryption of zero, on every core."""
    if len(cts) < INLINE_BELOW or workers() == 1:
        return [public_key.rerandomise(c) for c in cts]
    return _map_chunks(_rerandomise_chunk, public_key, [int(c) for c in cts])


def encrypt_values(public_key: PaillierPublicKey, values: Sequence[int]) -> list[gmpy2.mpz]:
    """Encrypt each value with fresh randomness, on every core."""
    if len(values) < INLINE_BELOW or workers() == 1:
        return public_key.encrypt_many(values)
    return _map_chunks(_encrypt_chunk, public_key, values)
