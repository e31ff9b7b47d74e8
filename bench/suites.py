"""The two crypto suites side by side: ledger append and verify, join tokens, sealing.

For each suite (default: SHA-256, Ed25519, X25519 sealed boxes; gm: SM3,
SM2, SM2 + SM4-GCM) in one run:

    ledger_append_s   N ledger entries appended (hash, chain, sign, Merkle frontier)
    ledger_verify_s   the same N entries verified (chain, hashes, signatures, checkpoints)
    tokens_s          10 x N join tokens (HMAC) in one process
    seal_open_s       N/10 seals and opens of a 1 KiB message

    ours_s      the gm suite's total of those
    baseline_s  the default suite's total
    ratio       baseline_s / ours_s (below 1: gm is slower)

Usage: python bench/suites.py [--n 2000] [--json]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine
from trusted_space.crypto import CryptoSuite, get_suite
from trusted_space.ledger.ledger import Ledger


def figures(suite: CryptoSuite, n: int) -> dict[str, float]:
    db = sqlite3.connect(":memory:", isolation_level=None)
    ledger = Ledger(db, suite, suite.new_signing_key())
    start = time.perf_counter()
    db.execute("BEGIN")
    for i in range(n):
        ledger.append("space", "step", {"n": i, "result_hash": "ab" * 32}, job_id="job")
    db.execute("COMMIT")
    append_s = time.perf_counter() - start
    start = time.perf_counter()
    count = ledger.verify()
    verify_s = time.perf_counter() - start
    assert count >= n

    key = suite.random_bytes(32)
    ids = [f"11010519491231{i:04d}" for i in range(10 * n)]
    start = time.perf_counter()
    tokens = suite.hmac_many(key, (i.encode() for i in ids))
    tokens_s = time.perf_counter() - start
    assert len(tokens) == 32 * len(ids)

    recipient = suite.new_sealing_key()
    message = bytes(range(256)) * 4
    start = time.perf_counter()
    for _ in range(max(1, n // 10)):
        assert recipient.open(suite.seal(recipient.public_bytes(), message)) == message
    seal_s = time.perf_counter() - start
    return {
        "ledger_append_s": round(append_s, 3),
        "ledger_verify_s": round(verify_s, 3),
        "tokens_s": round(tokens_s, 3),
        "seal_open_s": round(seal_s, 3),
    }


def run(n: int) -> dict[str, object]:
    default, gm = figures(get_suite("default"), n), figures(get_suite("gm"), n)
    ours, baseline = sum(gm.values()), sum(default.values())
    return {
        "bench": "suites",
        "n": n,
        "ours_s": round(ours, 3),
        "baseline_s": round(baseline, 3),
        "ratio": round(baseline / ours, 4),
        "default": default,
        "gm": gm,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="ledger entries")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    emit(run(args.n), args.json)


if __name__ == "__main__":
    main()
