"""The blind lookup (engine 4) beside the direct lookup, against providers of N people.

Generate N people (tspace synth: the hospital holds most, the CDC about 13%),
load the hospital and the CDC, offer their datasets (PSI setups built and
cached), then run 1,000-applicant underwriting jobs on one embedded
deployment, 2048-bit Paillier:

    tokens_s     the providers' epoch OPRF tokens, built once per dataset version
                 (beside psi_setup_s, the PSI setups of the same sets)
    first_job_s  the day's first blind job: epoch tokens cached, masked uploads
                 of both whole populations included, the insurer's encryptions
                 of zero drawn in its idle time beforehand, as a long-running
                 insurer node (tspace node) does
    first_job_cold_s  the same with nothing drawn ahead (a one-shot command)
    ours_s       a blind job with the epoch's tokens and the day's uploads cached
                 (median of --runs)
    baseline_s   a direct-engine job at the same sizes against cached setups
                 (median of --runs, after one job that warms the same caches)
    ratio        ours_s / baseline_s
    space_peak_mib  the space's own peak for the day's first job: the most
                 Python heap (bytes, numpy, parsed messages; tracemalloc) any
                 one of the space's calls held, measured on an extra, untimed
                 first job (uploads forgotten again). The space keeps its
                 state in SQLite between calls; native buffers (DuckDB's join,
                 SQLite's cache) are not traced. peak_mib is the whole
                 embedded process (every party, the data loaded, the pool).

Every blind score equals the direct engine's for the same applicants.
Usage: python bench/blind.py [--n 1000000] [--applicants 1000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, run_facts
from connectors.applicants import read_applicants
from connectors.base import LoadOptions
from products.score_model import ScoreModel
from tests.idleness import Switch
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat import paillier_noise
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)
PRODUCT = "underwriting_score"
PROVIDERS = {"cdc": ["cdc"], "hospital": ["hospital"]}
# Every entry point of the space an embedded node calls, and its background work.
SPACE_CALLS = (
    "submit_job",
    "exchange",
    "put_part",
    "report_failure",
    "job_status",
    "job_result",
    "run_pending_work",
)


def cpu_seconds() -> float:
    """CPU time of this process (every thread) and of the live pool's workers
    (Linux): the work done, whatever share of the cores the machine gave."""
    from trusted_space.bulk import parallel

    total = time.process_time()
    pool = parallel._pool  # the bench reads the pool's workers; nothing else does
    for pid in list((pool._processes or {}) if pool is not None else {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@contextmanager
def space_heap(space: Any) -> Iterator[dict[str, float]]:
    """While open, trace the Python heap during each of the space's calls
    (tracing starts empty at each call): ``peak_mib`` is the largest peak."""
    seen: dict[str, float] = {"peak_mib": 0.0}

    def traced(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if tracemalloc.is_tracing():  # a call within a call
                return fn(*args, **kwargs)
            tracemalloc.start()
            try:
                return fn(*args, **kwargs)
            finally:
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                seen["peak_mib"] = max(seen["peak_mib"], peak)

        return call

    for name in SPACE_CALLS:  # an instance attribute shadows the method
        setattr(space, name, traced(getattr(space, name)))
    try:
        yield seen
    finally:
        for name in SPACE_CALLS:
            delattr(space, name)


def wait_for_zeros(public_key: Any, count: int, timeout: float = 600.0) -> float:
    """Idle until the process's pool holds ``count`` zeros for the key (made
    only while the machine is idle); the seconds it took."""
    start = time.perf_counter()
    while paillier_noise.AHEAD.ready(public_key) < count:
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"only {paillier_noise.AHEAD.ready(public_key)} zeros ahead")
        time.sleep(0.5)
    return time.perf_counter() - start


def run(n: int, applicants: int, runs: int, root: Path) -> dict[str, Any]:
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    data = root / f"data-{n}"
    generate_health(n, 2026, data, applicants=applicants, end_date=AS_OF)
    ids = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
    model = ScoreModel.load(default_model_path()).document
    with EmbeddedDeployment(root / f"work-{n}") as dep:
        hospital, cdc = dep.provider("hospital"), dep.provider("cdc")
        hospital.load("csv", [data / "hospital_visits.csv"], LoadOptions())
        cdc.load(
            "csv", [data / "cdc_case_reports.csv", data / "cdc_chronic_registry.csv"], LoadOptions()
        )
        t = time.perf_counter()
        hospital.offer_datasets()
        cdc.offer_datasets()
        psi_setup_s = time.perf_counter() - t
        sizes = {name: len(node.store.subject_ids(name)) for name, node in dep.providers.items()}
        insurer = dep.consumer("insurer")

        cpu: dict[str, list[float]] = {"blind": [], "direct": []}

        def job(blind: bool) -> tuple[float, list[Decimal | None]]:
            kw: dict[str, Any] = {
                "as_of": AS_OF,
                "purpose": "underwriting",
                "providers": PROVIDERS,
                "model_document": model,
            }
            start, used = time.perf_counter(), cpu_seconds()
            if blind:
                job_id = insurer.submit_blind(PRODUCT, ids, **kw)
            else:
                job_id = insurer.submit_lookup(PRODUCT, ids, **kw)
            dep.run_job(insurer, job_id)
            seconds = time.perf_counter() - start
            cpu["blind" if blind else "direct"].append(cpu_seconds() - used)
            return seconds, insurer.outcome(job_id).scores()

        # The epoch tokens' cost, timed under a spare epoch's key; the first
        # blind job then makes the current epoch's, and the day's uploads,
        # which are forgotten before the day's first job is timed.
        t = time.perf_counter()
        for node in dep.providers.values():
            version = node.store.datasets()[node.name][0]
            node.blind._population(node.name, version, "bench-timed")
        tokens_s = time.perf_counter() - t
        job(True)
        forget_uploads = "DELETE FROM blind_cache WHERE key LIKE 'upload/%'"
        dep.space.store.db.execute(forget_uploads)
        cold_s, first_scores = job(True)
        cold_cpu = cpu["blind"][-1]
        blind_runs = [job(True) for _ in range(runs)]
        # The space's own peak, on one more first job (tracing slows it: untimed).
        dep.space.store.db.execute(forget_uploads)
        with space_heap(dep.space) as heap:
            _, traced_scores = job(True)
        assert traced_scores == first_scores
        # The day's first job as a long-running insurer node meets it: the
        # encryptions of zero for its Enc(-r) drawn in its idle time since
        # the previous day's job (runner.work_ahead). The previous day's job
        # runs with the pools on (its size sets the pool's), then the bench
        # idles until the pool is full.
        # Idle time is the insurer's own (its node runs on its own machine):
        # the pool works while the bench waits and never during a job.
        idle = Switch(idle=False)
        pools, paillier_noise.AHEAD = paillier_noise.AHEAD, paillier_noise.ZeroPools(idleness=idle)
        paillier_noise.AHEAD.start()
        try:
            dep.space.store.db.execute(forget_uploads)
            job(True)
            idle.set(idle=True)
            zeros_wait_s = wait_for_zeros(insurer.paillier_public, 2 * len(ids))
            idle.set(idle=False)
            dep.space.store.db.execute(forget_uploads)
            first_job_s, ahead_scores = job(True)
            first_cpu = cpu["blind"][-1]
        finally:
            paillier_noise.AHEAD.stop()
            paillier_noise.AHEAD = pools
        assert ahead_scores == first_scores
        job(False)  # warms the direct engine's caches (feature snapshots)
        direct_runs = [job(False) for _ in range(runs)]
    direct_scores = direct_runs[0][1]
    diffs = [(a, b) for a, b in zip(blind_runs[0][1], direct_scores, strict=True) if a != b]
    assert not diffs, diffs[:5]
    assert first_scores == direct_scores
    ours = statistics.median(s for s, _ in blind_runs)
    baseline = statistics.median(s for s, _ in direct_runs)
    return {
        "n": n,
        "applicants": len(ids),
        "ours_s": round(ours, 3),
        "baseline_s": round(baseline, 3),
        "ratio": round(ours / baseline, 2) if baseline else None,
        "first_job_s": round(first_job_s, 3),
        "first_job_cold_s": round(cold_s, 3),
        "tokens_s": round(tokens_s, 3),
        "psi_setup_s": round(psi_setup_s, 3),
        # CPU seconds (this process and the pool's workers) beside the wall
        # seconds: on a loaded machine the wall time measures the load too.
        "first_job_cpu_s": round(first_cpu, 3),
        "first_job_cold_cpu_s": round(cold_cpu, 3),
        "zeros_ahead_wait_s": round(zeros_wait_s, 1),
        "ours_cpu_s": round(statistics.median(cpu["blind"][2 : runs + 2]), 3),
        "baseline_cpu_s": round(statistics.median(cpu["direct"][-runs:]), 3),
        "space_peak_mib": round(heap["peak_mib"], 1),
        "load_average": {"start": load_at_start, "end": [round(x, 2) for x in os.getloadavg()]},
        "population": sizes,
        "ours_runs_s": [round(s, 3) for s, _ in blind_runs],
        "baseline_runs_s": [round(s, 3) for s, _ in direct_runs],
        **run_facts(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="people generated")
    parser.add_argument("--applicants", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-") as tmp:
        emit(run(args.n, args.applicants, args.runs, Path(tmp)), args.json)


if __name__ == "__main__":
    main()
