"""Work done ahead on the real machine: the pools fill in idle time and wait
while other processes keep every core busy.

The unit tests drive the pools' idleness themselves (tests/idleness.py);
this is the one check of the production judgement (the process's CPU clocks
and /proc/stat, trusted_space/hazmat/ahead.py) against the machine's real
load. It starts a ZeroPools and a PsiClientsAhead as a service does, then:

    busy_made   zeros made while one spinning process per core ran (for
                --busy-seconds; 0 expected: the pool waits)
    ours_s      seconds to fill one key's pool of zeros (POOL_ZEROS of them,
                --bits modulus) once the machine is idle again; null if it
                did not fill within --timeout (``made`` says how many were)
    baseline_s  seconds to draw as many zeros on the spot, the cost the
                pool takes off a burst of requests
    ratio       baseline_s / ours_s (near 1 on an idle machine; lower when
                other work takes the idle time; the pool runs at nice 19)
    psi_fill_s  seconds to fill a pool of POOL_CLIENTS PSI clients (null
                past --timeout; ``psi_made`` says how many were made)

Run it on a quiet machine: other load (a test suite, another benchmark)
slows the filling by design, which is what the figures then show.
Usage: python bench/idle_ahead.py [--bits 2048] [--busy-seconds 2] [--json]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine
from trusted_space.hazmat import paillier, paillier_noise, psi

SPIN = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end: pass"


def _wait(done: Callable[[], bool], timeout: float) -> float | None:
    """Seconds until ``done()``, or None if it took longer than ``timeout``
    (the machine was never idle enough)."""
    start = time.perf_counter()
    while not done():
        if time.perf_counter() - start > timeout:
            return None
        time.sleep(0.005)
    return time.perf_counter() - start


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def run(bits: int, busy_seconds: float, timeout: float) -> dict[str, object]:
    preset = paillier.PaillierPreset(f"bench-{bits}", bits, production=False)
    pk, sk = paillier.generate_keypair(preset)
    zeros = paillier_noise.ZeroPools()
    clients = psi.PsiClientsAhead()
    zeros.start()
    clients.start()
    try:
        # Busy: one spinner per core; the pool wants zeros but must wait.
        cpus = os.cpu_count() or 1
        spin = SPIN.format(s=busy_seconds)
        spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(cpus)]
        try:
            time.sleep(min(0.3, busy_seconds / 4))  # the spinners are running
            zeros.take(pk, 0)  # the key's pool starts
            time.sleep(busy_seconds / 2)
            busy_made = zeros.ready(pk)
        finally:
            for spinner in spinners:
                spinner.wait()

        # Idle again: time the filling, one pool after the other (a pool
        # counts the other's thread as its process's work and waits for it).
        ours_s = _wait(lambda: zeros.ready(pk) >= zeros.zeros, timeout)
        ready = zeros.take(pk, zeros.zeros)
        clients.take()  # the first lookup starts the PSI pool
        psi_fill_s = _wait(lambda: clients.ready() >= clients.size, timeout)
        psi_made = clients.ready()
        if {sk.decrypt(z) for z in ready[:4]} - {0} or len({int(z) for z in ready}) != len(ready):
            raise SystemExit("a zero made ahead is not a fresh encryption of zero")
    finally:
        zeros.stop()
        clients.stop()

    noise = paillier_noise.StandardNoise(pk)
    start = time.perf_counter()
    for _ in range(zeros.zeros):
        noise.draw()
    baseline_s = time.perf_counter() - start

    return {
        "bench": "idle_ahead",
        "n": zeros.zeros,
        "bits": bits,
        "busy_seconds": busy_seconds,
        "busy_made": busy_made,
        "made": len(ready),
        "ours_s": _round(ours_s),
        "baseline_s": round(baseline_s, 3),
        "ratio": None if ours_s is None else round(baseline_s / ours_s, 2),
        "psi_clients": clients.size,
        "psi_made": psi_made,
        "psi_fill_s": _round(psi_fill_s),
        "timeout_s": timeout,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", type=int, default=2048, help="Paillier modulus bits")
    parser.add_argument("--busy-seconds", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=300.0, help="per pool, seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    emit(run(args.bits, args.busy_seconds, args.timeout), args.json)


if __name__ == "__main__":
    main()
