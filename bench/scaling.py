"""What one more worker buys: the bulk benchmarks with 1 and with 2 workers.

Runs bench/paillier.py, bench/psi.py and bench/tokens.py (tokenisation) in
fresh processes with TSPACE_WORKERS=1 and =2 and prints, per stage, the
seconds with each and the speed-up. docs/scaling.md quotes the last run.

    ours_s      the sum of the 2-worker figures
    baseline_s  the sum of the 1-worker figures
    ratio       baseline_s / ours_s (the overall speed-up)

Usage: python bench/scaling.py [--n 20000] [--json]   (N subjects for
Paillier; 10 x N ids for PSI setup; 100 x N for tokenisation)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine

HERE = Path(__file__).resolve().parent


def _bench(script: str, n: int, workers: int, extra: list[str]) -> dict[str, object]:
    env = dict(os.environ, TSPACE_WORKERS=str(workers))
    env.pop("TSPACE_RAY", None)
    out = subprocess.run(
        [sys.executable, str(HERE / script), "--n", str(n), "--json", *extra],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(n: int) -> dict[str, object]:
    stages = {
        "paillier_encrypt": ("paillier.py", n, ["--baseline-sample", "200"], "ours_s"),
        "psi_setup": ("psi.py", 10 * n, [], "ours_s"),
        "tokenise": ("tokens.py", 100 * n, [], "tokenise_s"),
    }
    figures: dict[str, dict[str, float]] = {}
    for stage, (script, size, extra, field) in stages.items():
        one = float(_bench(script, size, 1, extra)[field])  # type: ignore[arg-type]
        two = float(_bench(script, size, 2, extra)[field])  # type: ignore[arg-type]
        figures[stage] = {"n": size, "workers_1_s": one, "workers_2_s": two, "speedup": one / two}
    ours = sum(f["workers_2_s"] for f in figures.values())
    baseline = sum(f["workers_1_s"] for f in figures.values())
    return {
        "bench": "scaling",
        "n": n,
        "ours_s": round(ours, 3),
        "baseline_s": round(baseline, 3),
        "ratio": round(baseline / ours, 3),
        "stages": {
            k: {kk: round(vv, 3) if isinstance(vv, float) else vv for kk, vv in v.items()}
            for k, v in figures.items()
        },
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20_000, help="Paillier subjects")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    emit(run(args.n), args.json)


if __name__ == "__main__":
    main()
