"""The gm suite's SM2 on each backend, beside the default suite's Ed25519 and X25519.

For each of: default (Ed25519 signatures, X25519 sealed boxes), gm on
gmssl (pure Python: the fallback, and the only backend before issue 22
item 16), gm on Tongsuo (C, through tongsuopy: the backend wherever
tongsuopy installs), in one process, the CPU time (this process, so that other work on a
shared machine counts less) of one:

    sign_ms     signature of a 200-byte message (a ledger entry's size)
    verify_ms   verification of it
    seal_ms     seal of a 1 KiB message to a public key
    open_ms     open of it

    ours_s      gm on Tongsuo: the total of N of each operation
    baseline_s  the default suite: the same total
    ratio       baseline_s / ours_s (below 1: gm is slower)
    speedup     gm on gmssl / gm on Tongsuo (how much the C backend saves)

Usage: python bench/gm_suite.py [--n 200] [--json]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine
from trusted_space.crypto import CryptoSuite, get_suite
from trusted_space.crypto.gm import GmSuite
from trusted_space.crypto.sm2 import GmsslSm2, TongsuoSm2


def _ms(n: int, step: Callable[[int], object]) -> float:
    start = time.process_time()
    for i in range(n):
        step(i)
    return (time.process_time() - start) / n * 1000


def figures(suite: CryptoSuite, n: int) -> dict[str, float]:
    signer = suite.new_signing_key()
    public = signer.public_bytes()
    message = bytes(range(200))
    signatures = [signer.sign(message) for _ in range(n)]
    recipient = suite.new_sealing_key()
    to = recipient.public_bytes()
    body = bytes(range(256)) * 4
    sealed = [suite.seal(to, body) for _ in range(n)]
    assert all(recipient.open(s) == body for s in sealed[:3])
    return {
        "sign_ms": round(_ms(n, lambda i: signer.sign(message)), 4),
        "verify_ms": round(_ms(n, lambda i: suite.verify(public, message, signatures[i])), 4),
        "seal_ms": round(_ms(n, lambda i: suite.seal(to, body)), 4),
        "open_ms": round(_ms(n, lambda i: recipient.open(sealed[i])), 4),
    }


def run(n: int) -> dict[str, object]:
    default = figures(get_suite("default"), n)
    gmssl = figures(GmSuite(GmsslSm2()), max(1, n // 10))  # 100x slower: a tenth
    tongsuo = figures(GmSuite(TongsuoSm2()), n)
    ours = sum(tongsuo.values()) * n / 1000
    baseline = sum(default.values()) * n / 1000
    return {
        "bench": "gm_suite",
        "n": n,
        "ours_s": round(ours, 4),
        "baseline_s": round(baseline, 4),
        "ratio": round(baseline / ours, 4),
        "speedup": round(sum(gmssl.values()) / sum(tongsuo.values()), 1),
        "default": default,
        "gm_tongsuo": tongsuo,
        "gm_gmssl": gmssl,
        "gm_backend_in_use": GmSuite().backend,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="operations of each kind")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    emit(run(args.n), args.json)


if __name__ == "__main__":
    main()
