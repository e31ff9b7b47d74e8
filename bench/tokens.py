"""Join tokens at scale: tokenise N resident ids, join N x N tokens in DuckDB.

A provider's step of a space-aided join turns each id into an HMAC-SHA256
token under the job key (trusted_space/tokens.tokenise, on every core); the
space joins two providers' token blobs (trusted_space/tokens.join). The
second provider holds half of the first one's people and N/2 others, in
another order. The join runs in a fresh process that reads the two blobs
from disk, so its peak resident memory is the join's own (blobs included).

    ours_s      the space's join of N x N tokens (goal: under 60 s, 4 GiB)
    tokenise_s  tokenising the first provider's N ids (goal: under 30 s)
    baseline_s  null: the issue names no baseline for tokens
    ratio       null

Usage: python bench/tokens.py [--n 10000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, run_facts
from trusted_space.bulk import parallel
from trusted_space.bulk.tokens import tokenise
from trusted_space.crypto import get_suite
from trusted_space.synth import resident_ids

JOIN_CHILD = """
import json, resource, sys, time
from pathlib import Path
from trusted_space.bulk.tokens import join
left, right = Path(sys.argv[1]).read_bytes(), Path(sys.argv[2]).read_bytes()
start = time.perf_counter()
li, ri = join(left, right)
seconds = time.perf_counter() - start
ordered = bool((li[1:] > li[:-1]).all())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "pairs": len(li), "ordered": ordered, "peak_mib": peak}))
"""


def run(n: int, seed: int, root: Path) -> dict[str, object]:
    start = time.perf_counter()
    left_ids = resident_ids(n, seed)
    others = pa.array([f"other-{i:012d}" for i in range(n // 2)], pa.string())
    right_ids = pa.concat_arrays([left_ids.slice(n // 2), others])
    right_ids = right_ids.take(pa.array(np.random.default_rng(seed).permutation(n)))
    ids_s = time.perf_counter() - start

    suite = get_suite()
    key = suite.random_bytes(32)
    parallel.shutdown()  # the worker pool starts inside the timed call
    start = time.perf_counter()
    left = tokenise(suite, key, left_ids)
    tokenise_s = time.perf_counter() - start
    right = tokenise(suite, key, right_ids)
    (root / "left.tok").write_bytes(left)
    (root / "right.tok").write_bytes(right)
    del left, right
    parallel.shutdown()

    child = subprocess.run(
        [sys.executable, "-c", JOIN_CHILD, str(root / "left.tok"), str(root / "right.tok")],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    joined = json.loads(child.stdout)
    if joined["pairs"] != n - n // 2 or not joined["ordered"]:
        raise SystemExit(f"the join found {joined['pairs']} pairs, expected {n - n // 2}")
    return {
        "bench": "tokens",
        "n": n,
        "ours_s": round(joined["seconds"], 3),
        "baseline_s": None,
        "ratio": None,
        "tokenise_s": round(tokenise_s, 3),
        "join_s": round(joined["seconds"], 3),
        "join_pairs": joined["pairs"],
        "join_peak_mib": round(joined["peak_mib"], 1),
        "goals": {"join_s": 60, "join_peak_mib": 4096, "tokenise_s": 30},
        "make_ids_s": round(ids_s, 3),
        **run_facts(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000_000, help="ids per provider")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-") as tmp:
        emit(run(args.n, args.seed, Path(tmp)), args.json)


if __name__ == "__main__":
    main()
