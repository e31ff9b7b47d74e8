"""Bulk work on every core, or on a Ray cluster.

One small interface, ``starmap(fn, arguments)``, with two backends:

- local (default): a process pool started once, on demand. Workers are
  spawned (not forked) so they never inherit a DuckDB connection or a lock
  held by another thread.
- Ray, when ``TSPACE_RAY`` is set (an address, or ``local`` for a cluster on
  this machine) or ``use_ray(address)`` is called (``--ray`` on the command
  line). Ray is an optional extra: ``pip install 'tspace[ray]'``.

Work sent to a backend may carry a party's secrets (a PSI server key to build
a setup, a job key to tokenise): a Ray cluster must belong to the party whose
work it runs, as a process pool does. Small batches run inline: below a few
hundred items the pool's start-up and pickling cost more than they save.
Every result comes back in order, so partitioned work equals the
single-process result exactly.
"""

from __future__ import annotations

import atexit
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, TypeVar

import gmpy2

from trusted_space.core.progress import reporter
from trusted_space.core.progress import reporting as reporting  # re-exported
from trusted_space.hazmat.paillier import PaillierPrivateKey, PaillierPublicKey
from trusted_space.hazmat.paillier_noise import TABLE_AFTER_USES, noise_for, take_ahead

INLINE_BELOW = 256
T = TypeVar("T")

PR_SET_PDEATHSIG = 1  # prctl(2): a signal for the child when its parent dies
_pool: ProcessPoolExecutor | None = None
_ray_address: str | None = os.environ.get("TSPACE_RAY") or None
_ray_ready = False
_ray_started = False  # this process started the cluster (``local``), so stops it
# Labelled bulk work reports its progress on trusted_space.core.progress's
# channel (``reporting``, re-exported here): the command line draws the bars.


def workers() -> int:
    configured = os.environ.get("TSPACE_WORKERS")
    if configured:
        return max(1, int(configured))
    if _ray_address is not None:
        return max(1, int(_ray().cluster_resources().get("CPU", 1)))
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def use_ray(address: str | None) -> None:
    """Send bulk work to Ray at ``address`` ('local' starts a cluster here);
    None returns to the local process pool (and stops a cluster it started)."""
    global _ray_address, _ray_ready, _ray_started
    if address is None and _ray_started:
        import ray

        ray.shutdown()
        _ray_started = False
    if address is None:
        _ray_ready = False  # a cluster the caller started stays theirs, running
    _ray_address = address


def backend_name() -> str:
    return "ray" if _ray_address is not None else "local"


def _ray() -> Any:
    global _ray_ready, _ray_started
    import ray  # optional extra

    if not _ray_ready:
        if not ray.is_initialized():  # else: the caller's own connection, used as it is
            if _ray_address == "local":
                ray.init(
                    num_cpus=len(os.sched_getaffinity(0)),
                    include_dashboard=False,
                    log_to_driver=False,
                )
            else:
                ray.init(address=_ray_address, log_to_driver=False)
            _ray_started = True
        _ray_ready = True
    return ray


def _die_with_parent(parent: int) -> None:
    """Pool worker start-up: ignore SIGINT, and end when the parent process
    ends, however it ends. A worker blocks on the pool's queue, whose write end its siblings
    also hold, so a parent killed with SIGKILL would otherwise leave every
    worker running forever (each holding its memory)."""
    # Ctrl-C, or a Jupyter kernel interrupted or shut down, signals the whole
    # process group: the parent decides what a SIGINT means and ends its pool;
    # a worker that took it would die mid-task printing a KeyboardInterrupt
    # traceback, and break the pool for the next call.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _spawn_every_worker(pool: ProcessPoolExecutor) -> None:
    """Start every worker now, with SIGINT ignored: a spawned child inherits
    the ignored disposition through exec, so an interrupt that arrives while
    a worker is still importing (before its initializer) leaves it quiet too.
    The pool would otherwise spawn workers one at a time as tasks arrive."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        starting = [pool.submit(int) for _ in range(workers())]
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    for future in starting:
        future.result()


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            workers(),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
        _spawn_every_worker(_pool)
        atexit.register(shutdown)
    return _pool


def worker_peak_mib() -> float:
    """The largest peak resident memory among the live pool's workers (Linux's
    VmHWM; 0 where unknown). ru_maxrss cannot tell: a spawned worker keeps
    the parent's resident size at its fork as its own high-water mark."""
    peak = 0
    for pid in list((_pool._processes or {}) if _pool is not None else {}):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(cancel_futures=True)
        _pool = None


def starmap(
    fn: Callable[..., T],
    arguments: Sequence[tuple[Any, ...]],
    *,
    label: str | None = None,
    sizes: Sequence[int] | None = None,
) -> list[T]:
    """``[fn(*a) for a in arguments]`` on the backend, in order. ``fn`` must be
    a module-level function (it is imported by name in the workers). With a
    ``label``, progress is reported while ``reporting`` is on, counting
    ``sizes`` (items per argument tuple; default 1 each)."""
    if not arguments:
        return []
    if _ray_address is not None:
        ray = _ray()
        remote = ray.remote(fn)
        return list(ray.get([remote.remote(*a) for a in arguments]))
    pool = _get_pool()
    report = reporter()
    if report is None or label is None:
        return list(pool.map(fn, *zip(*arguments, strict=True)))
    weights = list(sizes) if sizes is not None else [1] * len(arguments)
    futures: dict[Future[T], int] = {pool.submit(fn, *a): i for i, a in enumerate(arguments)}
    results: list[Any] = [None] * len(arguments)
    total, done = sum(weights), 0
    report(label, 0, total)
    try:
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            done += weights[i]
            report(label, done, total)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return results


def chunks(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    size = max(1, -(-len(items) // parts))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _encrypt_chunk(n_hex: str, values: Sequence[int]) -> list[int]:
    key = PaillierPublicKey(int(n_hex, 16))
    return [int(c) for c in key.encrypt_many(values)]


def _rerandomise_chunk(n_hex: str, cts: Sequence[int]) -> list[int]:
    key = PaillierPublicKey(int(n_hex, 16))
    return [int(c) for c in key.rerandomise_many([gmpy2.mpz(c) for c in cts])]


def _zeros_chunk(n_hex: str, counts: Sequence[int]) -> list[int]:
    key = PaillierPublicKey(int(n_hex, 16))
    return [int(z) for z in key.zeros(sum(counts))]


def _map_chunks(
    fn: Callable[[str, Sequence[int]], list[int]],
    public_key: PaillierPublicKey,
    items: Sequence[int],
) -> list[gmpy2.mpz]:
    n_hex = public_key.to_wire()
    split = chunks(items, 4 * workers())
    parts = starmap(
        fn,
        [(n_hex, part) for part in split],
        label=fn.__name__.strip("_").removesuffix("_chunk"),
        sizes=[len(part) for part in split],
    )
    return [gmpy2.mpz(c) for part in parts for c in part]


def decrypt_values(
    decrypt: Callable[[gmpy2.mpz, int], int], cts: Sequence[gmpy2.mpz], bits: Sequence[int]
) -> list[int]:
    """``[decrypt(c, bits[i % len(bits)]) ...]`` on threads, one per core: the
    private key stays in this process (it cannot be pickled), and gmpy2
    releases the GIL while it exponentiates. Progress is reported as
    'decrypt' while ``reporting`` is on."""
    n = len(cts)
    threads = min(workers(), max(1, n // 64)) if _ray_address is None else 1
    if threads <= 1:
        return [decrypt(c, bits[i % len(bits)]) for i, c in enumerate(cts)]
    report = reporter()
    parts = [range(i, min(i + 256, n)) for i in range(0, n, 256)]
    out: list[int] = [0] * n

    def run(part: range) -> int:
        for i in part:
            out[i] = decrypt(cts[i], bits[i % len(bits)])
        return len(part)

    done = 0
    with ThreadPoolExecutor(threads, thread_name_prefix="decrypt") as pool:
        if report is not None:
            report("decrypt", 0, n)
        for size in pool.map(run, parts):
            done += size
            if report is not None:
                report("decrypt", done, n)
    return out


def encrypt_values_owned(private_key: PaillierPrivateKey, values: Sequence[int]) -> list[gmpy2.mpz]:
    """``encrypt_values`` by the key's owner (a consumer encrypting under its
    own key): each zero drawn by the Chinese remainder theorem, 3.4x cheaper,
    on threads, one per core (the private key stays in this process; gmpy2
    releases the GIL while it exponentiates). Progress as 'encrypt'."""
    n = len(values)
    threads = min(workers(), max(1, n // 64)) if _ray_address is None else 1
    if threads <= 1:
        return private_key.encrypt_many(values)
    # The zeros computed ahead, in one call (the pool then keeps as many for
    # the next batch), and the owner's source made before the threads share it.
    pk = private_key.public_key
    ready = private_key.zeros(0) + take_ahead(pk, n)
    out = [pk.encrypt_with(v, z) for v, z in zip(values, ready, strict=False)]
    values = values[len(ready) :]
    report = reporter()
    parts = [values[i : i + 256] for i in range(0, len(values), 256)]
    with ThreadPoolExecutor(threads, thread_name_prefix="encrypt") as pool:
        if report is not None:
            report("encrypt", len(out), n)
        for part in pool.map(private_key.encrypt_many, parts):
            out += part
            if report is not None:
                report("encrypt", len(out), n)
    return out


def warm_noise(public_key: PaillierPublicKey) -> None:
    """Start building ``public_key``'s fixed-base noise table on every
    worker of the local pool, and return at once: bulk encryption under that
    key later draws from the tables (about 2 s of one core each at 2048
    bits) instead of building them on its critical path. Only for a key the
    pool's owner will encrypt under anyway (the pool belongs to its party)."""
    if _ray_address is not None or workers() == 1:
        return
    pool = _get_pool()
    n_hex = public_key.to_wire()
    for _ in range(workers()):  # a busy worker leaves the next task to an idle one
        pool.submit(_warm_table, n_hex)


def _warm_table(n_hex: str) -> None:
    noise_for(PaillierPublicKey(int(n_hex, 16)), TABLE_AFTER_USES)


def rerandomise_values(public_key: PaillierPublicKey, cts: Sequence[gmpy2.mpz]) -> list[gmpy2.mpz]:
    """Multiply each ciphertext by a fresh encryption of zero: those this
    process computed ahead first (a service's idle time), the rest on every
    core."""
    if len(cts) < INLINE_BELOW or workers() == 1:
        return public_key.rerandomise_many(cts)
    ready = take_ahead(public_key, len(cts))
    done = [c * z % public_key.nsquare for c, z in zip(cts, ready, strict=False)]
    rest = [int(c) for c in cts[len(ready) :]]
    return done + (_map_chunks(_rerandomise_chunk, public_key, rest) if rest else [])


def encrypt_values(public_key: PaillierPublicKey, values: Sequence[int]) -> list[gmpy2.mpz]:
    """Encrypt each value with fresh randomness: zeros this process computed
    ahead first (a service's idle time), the rest on every core."""
    if len(values) < INLINE_BELOW or workers() == 1:
        return public_key.encrypt_many(values)
    ready = take_ahead(public_key, len(values))
    done = [public_key.encrypt_with(v, z) for v, z in zip(values, ready, strict=False)]
    rest = values[len(ready) :]
    return done + (_map_chunks(_encrypt_chunk, public_key, rest) if rest else [])


def zeros(public_key: PaillierPublicKey, count: int) -> list[gmpy2.mpz]:
    """``count`` fresh encryptions of zero, on every core: randomness drawn
    ahead of time, off the critical path. Each is used once
    (``combine`` turns one into an encryption)."""
    if count < INLINE_BELOW or workers() == 1:
        return public_key.zeros(count)
    return _map_chunks(_zeros_chunk, public_key, [1] * count)


def combine(
    public_key: PaillierPublicKey, values: Sequence[int], noise: Sequence[gmpy2.mpz]
) -> list[gmpy2.mpz]:
    """The online step of encryption: Enc(m) = (1 + m*n) * r^n mod n^2, with
    each precomputed zero used for exactly one value."""
    if len(values) != len(noise):
        raise ValueError("one precomputed zero is needed per value")
    return [public_key.encrypt_with(v, r) for v, r in zip(values, noise, strict=True)]
