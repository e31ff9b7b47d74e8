"""Paillier ciphertexts for N subjects x 8 values at 2048 bits, beside plain phe.

Ours is what a provider node does for a features product: the 8 values of a
subject are packed into one plaintext (128-bit slots, products/features_layout;
only additions follow), the randomness is drawn ahead of time from a
fixed-base table on every core (trusted_space/parallel.zeros; full-length
exponents, no short-exponent assumption), and the online step multiplies one
precomputed zero per plaintext. Every zero is fresh and used once.

    ours_s      all the work: pool start, table builds, randomness, online step
    online_s    the online step alone (packing and one multiplication each)
    baseline_s  phe public_key.encrypt on every one of the N x 8 values, one
                core, extrapolated from a timed sample of --baseline-sample
                values (0 times them all) drawn from the same data
    ratio       baseline_s / ours_s

A sample of ciphertexts is decrypted and unpacked to check the values.
Usage: python bench/paillier.py [--n 100000] [--baseline-sample 2000] [--json]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import phe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, run_facts
from products.features_layout import VALUE_LIMIT, pack, unpack
from trusted_space.bulk import parallel
from trusted_space.hazmat.paillier import PAILLIER_2048, generate_keypair

VALUES_PER_SUBJECT = 8


def run(n: int, baseline_sample: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    # Counts, amounts in fen and days: the shapes of real feature values.
    values = [
        [rng.randrange(0, 1 << rng.choice((8, 24, 40))) for _ in range(VALUES_PER_SUBJECT)]
        for _ in range(n)
    ]
    assert all(v < VALUE_LIMIT for row in values for v in row)
    public, private = generate_keypair(PAILLIER_2048)

    start = time.perf_counter()
    noise = parallel.zeros(public, n)
    offline_s = time.perf_counter() - start
    start = time.perf_counter()
    ciphertexts = parallel.combine(public, [pack(row) for row in values], noise)
    online_s = time.perf_counter() - start
    ours_s = offline_s + online_s
    del noise

    for i in rng.sample(range(n), min(n, 50)):
        assert unpack(private.decrypt(ciphertexts[i]), VALUES_PER_SUBJECT) == values[i]
    assert len({int(c) for c in ciphertexts}) == n, "a ciphertext repeated"

    flat = [v for row in values for v in row]
    sample = flat if baseline_sample <= 0 else rng.sample(flat, min(baseline_sample, len(flat)))
    phe_public, _ = phe.generate_paillier_keypair(n_length=public.bits)
    start = time.perf_counter()
    for v in sample:
        phe_public.encrypt(v)
    sample_s = time.perf_counter() - start
    baseline_s = sample_s / len(sample) * len(flat)

    return {
        "bench": "paillier",
        "n": n,
        "values": len(flat),
        "key_bits": public.bits,
        "ours_s": round(ours_s, 3),
        "offline_s": round(offline_s, 3),
        "online_s": round(online_s, 3),
        "baseline_s": round(baseline_s, 3),
        "baseline_sampled_values": len(sample),
        "baseline_ms_per_value": round(sample_s / len(sample) * 1000, 3),
        "ours_ms_per_subject": round(ours_s / n * 1000, 4),
        "ratio": round(baseline_s / ours_s, 2),
        **run_facts(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="subjects (8 values each)")
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=2000,
        help="values phe encrypts to time the baseline; 0 encrypts all N x 8",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    emit(run(args.n, args.baseline_sample, args.seed), args.json)


if __name__ == "__main__":
    main()
