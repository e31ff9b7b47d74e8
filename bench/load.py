"""Load: many concurrent consumers for a bounded time, on loopback.

Starts a space and two provider nodes as separate processes, then
``--consumers`` insurers (each its own participant, key and node folder,
each a thread here) submit one-applicant underwriting jobs back to back for
``--seconds``, then stop submitting and wait for every job in flight. It
self-stops: submission ends at the deadline and the wait for stragglers is
bounded. Reports jobs submitted, succeeded, failed and lost (submitted but
never finished, or a count the space disagrees with), errors, throughput and
latency percentiles. There is no baseline (baseline_s null); ours_s is the
p50 latency.

Usage: python bench/load.py [--consumers 50] [--seconds 60] [--people 5000] [--json]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine
from bench.service import AS_OF, PROVIDERS, percentile, start_service
from connectors.applicants import read_applicants
from trusted_space.core.errors import TspaceError
from trusted_space.synth import generate_health


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--consumers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-load-") as tmp:
        root = Path(tmp)
        data = root / "data"
        generate_health(args.people, 13, data, applicants=500, end_date=AS_OF)
        ids = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
        result = run(root, data, ids, args.consumers, args.seconds)
    emit({**result, "machine": machine()}, args.json)


def run(
    root: Path, data: Path, ids: list[str], consumers: int, seconds: float
) -> dict[str, object]:
    names = [f"insurer-{i:02d}" for i in range(consumers)]
    procs, nodes, model = start_service(root, data, names)
    latencies: list[float] = []
    errors: list[str] = []
    submitted = succeeded = failed = 0
    lock = threading.Lock()
    try:
        deadline = time.monotonic() + seconds

        def consumer(i: int) -> None:
            nonlocal submitted, succeeded, failed
            node = nodes[i]
            k = i
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    job = node.submit_lookup(
                        "underwriting_score",
                        [ids[k % len(ids)]],
                        as_of=AS_OF,
                        purpose="underwriting",
                        providers=PROVIDERS,
                        model_document=model,
                        wait=2.0,
                    )
                    with lock:
                        submitted += 1
                    finish = time.monotonic() + 120  # a straggler's bounded wait
                    while not node.has_result(job):
                        if time.monotonic() > finish:
                            raise TimeoutError(f"job {job} unfinished after 120 s")
                        node.run_pending(wait=2.0)
                    with lock:
                        succeeded += 1
                        latencies.append(time.perf_counter() - start)
                except (TspaceError, TimeoutError) as exc:
                    with lock:
                        failed += 1
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                k += consumers

        threads = [threading.Thread(target=consumer, args=(i,)) for i in range(consumers)]
        began = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - began
    finally:
        for p in procs:
            p.stop()
    db = sqlite3.connect(root / "space" / "space" / "space.sqlite")
    states = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
    db.close()
    lost = submitted - succeeded - failed
    return {
        "n": submitted,
        "consumers": consumers,
        "seconds": seconds,
        "ours_s": percentile(latencies, 0.5) if latencies else None,
        "baseline_s": None,
        "ratio": None,
        "succeeded": succeeded,
        "failed": failed,
        "lost": lost,
        "space_job_states": states,
        "space_agrees": states.get("succeeded", 0) == succeeded
        and sum(states.values()) == submitted,
        "jobs_per_s": succeeded / elapsed,
        "p50_s": percentile(latencies, 0.5) if latencies else None,
        "p90_s": percentile(latencies, 0.9) if latencies else None,
        "p99_s": percentile(latencies, 0.99) if latencies else None,
        "max_s": max(latencies) if latencies else None,
        "errors": errors[:5],
    }


if __name__ == "__main__":
    main()
