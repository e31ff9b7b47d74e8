"""Would a 2HashDH OPRF on the SM2 curve, with Tongsuo's arithmetic, be within 3x of ristretto255?

Issue 21 asked for the SM2 curve in the blind lookup's OPRF if a maintained
implementation is within 3x of the default's speed (issue 22 item 16 gave
the gm suite Tongsuo's SM2). No SM2 OPRF is built: this prices one per item
from its parts, each timed here (CPU time of this process):

    ours_ms (SM2, a lower bound)  3 secret-scalar multiplications by
        Tongsuo's ladder (blind, evaluate, unblind: TongsuoSm2.multiply),
        one scalar inversion mod n and hash-to-curve priced as RFC 9380's
        random-oracle encoding with the simplified SWU map (SM2 has a, b != 0):
        two maps of one square-root-ratio exponentiation and one inversion
        mod p each, and one affine point addition, all in Python (there is
        no SM2 hash-to-curve in Tongsuo or on the package index)
    baseline_ms (ristretto255)    the OPRF as trusted_space/hazmat/oprf.py
        runs it: OprfRequest.blinded + OprfKey.evaluate + OprfRequest.finalize,
        per item
    ratio                         baseline_ms / ours_ms (issue 21's bar: >= 1/3)

Usage: python bench/gm_oprf.py [--n 2000] [--json]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine
from trusted_space.crypto.sm2 import GX, GY, N, P, TongsuoSm2
from trusted_space.hazmat.oprf import OprfKey, OprfRequest


def _ms(n: int, step: Callable[[], object]) -> float:
    start = time.process_time()
    for _ in range(n):
        step()
    return (time.process_time() - start) / n * 1000


def _affine_add(x1: int, y1: int, x2: int, y2: int) -> tuple[int, int]:
    lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def run(n: int) -> dict[str, object]:
    items = [f"11010519491231{i:04d}" for i in range(n)]
    key = OprfKey.generate()
    start = time.process_time()
    request = OprfRequest(items)
    tokens = request.finalize(key.evaluate(request.blinded()))
    baseline = (time.process_time() - start) / n * 1000
    assert tokens == key.tokens(items)

    sm2 = TongsuoSm2()
    point = sm2.multiply(secrets.randbelow(N - 2) + 1)
    k = secrets.randbelow(N - 2) + 1
    u = secrets.randbelow(P)
    x2, y2 = int.from_bytes(point[:32], "big"), int.from_bytes(point[32:], "big")
    parts = {
        "ladder_ms": _ms(n, lambda: sm2.multiply(k, point)),
        "scalar_inverse_ms": _ms(n, lambda: pow(k, -1, N)),
        "field_sqrt_ms": _ms(n, lambda: pow(u, (P - 3) // 4, P)),
        "field_inverse_ms": _ms(n, lambda: pow(u, -1, P)),
        "point_add_ms": _ms(n, lambda: _affine_add(GX, GY, x2, y2)),
    }
    hash_to_curve = 2 * (parts["field_sqrt_ms"] + parts["field_inverse_ms"]) + parts["point_add_ms"]
    ours = 3 * parts["ladder_ms"] + parts["scalar_inverse_ms"] + hash_to_curve
    return {
        "bench": "gm_oprf",
        "n": n,
        "ours_ms": round(ours, 4),
        "baseline_ms": round(baseline, 4),
        "ratio": round(baseline / ours, 4),
        "ours_s": round(ours * n / 1000, 3),
        "baseline_s": round(baseline * n / 1000, 3),
        "sm2_hash_to_curve_ms": round(hash_to_curve, 4),
        "sm2_parts": {name: round(v, 4) for name, v in parts.items()},
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="items")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    emit(run(args.n), args.json)


if __name__ == "__main__":
    main()
