"""Feature SQL by partition: a large lookup batch's features on every worker.

A hospital of ``--people`` people (generated, loaded into its node store);
a batch of ``--n`` subjects (every one it holds, then people it does not)
asks for the underwriting features. Ours runs the hospital's feature SQL by
partition on the worker pool (trusted_space/bulk/feature_partitions.py, the
partitioning and the copies to the workers included); the baseline runs the
same SQL once in the node's own DuckDB, which uses every core itself. Both
answers are compared row by row.

    ours_s      partitioned, one partition per worker
    baseline_s  one query in the node's DuckDB
    ratio       baseline_s / ours_s

Usage: python bench/features.py [--n 100000] [--people 200000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine
from connectors.base import LoadOptions, get_connector
from connectors.canonical import DATASETS
from connectors.node_store import NodeStore
from products.registry import get_product
from trusted_space.bulk import parallel
from trusted_space.bulk.feature_partitions import feature_rows
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    product = get_product("underwriting_score")
    sql = product.feature_sql("hospital")
    with tempfile.TemporaryDirectory(prefix="tspace-bench-features-") as tmp:
        root = Path(tmp)
        generate_health(args.people, 3, root / "data", applicants=10, end_date=AS_OF)
        with NodeStore(root / "node") as store:
            get_connector("csv").load([root / "data" / "hospital_visits.csv"], store, LoadOptions())
            held = [
                r[0]
                for r in store.con.sql(
                    f"SELECT DISTINCT person_id FROM hospital_visits ORDER BY 1 LIMIT {args.n}"
                ).fetchall()
            ]
            ids = held + [f"absent-{i}" for i in range(args.n - len(held))]
            subjects = pa.table(
                {"handle": [f"{i:032x}" for i in range(len(ids))], "subject": ids},
                schema=pa.schema([("handle", pa.string()), ("subject", pa.string())]),
            )
            kwargs = {"keyed": DATASETS["hospital"], "params": {"as_of": AS_OF}}
            parallel.starmap(abs, [(-1,)] * parallel.workers())  # workers started, as in a node
            runs: dict[str, list[float]] = {"ours": [], "baseline": []}
            answers = {}
            for _ in range(3):
                for name, parts in (("baseline", 1), ("ours", parallel.workers())):
                    start = time.perf_counter()
                    answers[name] = feature_rows(store.con, sql, subjects, parts=parts, **kwargs)  # type: ignore[arg-type]
                    runs[name].append(time.perf_counter() - start)
            same = sorted(answers["ours"].to_pylist(), key=lambda r: r["handle"]) == sorted(
                answers["baseline"].to_pylist(), key=lambda r: r["handle"]
            )
        parallel.shutdown()
    ours, baseline = min(runs["ours"]), min(runs["baseline"])
    emit(
        {
            "bench": "features",
            "n": args.n,
            "people": args.people,
            "held": len(held),
            "ours_s": ours,
            "baseline_s": baseline,
            "ratio": baseline / ours,
            "workers": parallel.workers(),
            "runs_s": {k: [round(x, 3) for x in v] for k, v in runs.items()},
            "same_rows": same,
            "machine": machine(),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
