"""Underwriting job cost against providers of N people, beside plain openmined-psi.

For each N: generate N people (tspace synth), load the hospital and the CDC,
build each provider's PSI setup once (cached per dataset version), then run a
1,000-applicant underwriting job and time every stage. Beside it, plain
openmined-psi does the same two intersections the way a job without a cached
setup must: CreateSetupMessage over each provider's ids, then request,
process and intersection.

    ours_s      the job's PSI stages with cached setups (submit, respond, intersect)
    baseline_s  plain openmined-psi for the same two intersections, setup included
    ratio       baseline_s / ours_s

The full job (features, encryption, combination, decryption) is printed too.
Usage: python bench/underwrite.py [--n 100000 --n 1000000] [--applicants 1000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import private_set_intersection.python as openmined_psi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine, peak_mib, underwritten
from connectors.applicants import read_applicants
from connectors.node_store import NodeStore
from trusted_space.hazmat.psi import DEFAULT_FPR
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)
PSI_STAGES = ("submit", "psi_respond", "psi_finish")


def plain_psi(server_ids: list[str], client_ids: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    server = openmined_psi.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(DEFAULT_FPR, len(client_ids), server_ids)
    client = openmined_psi.client.CreateWithNewKey(True)
    response = server.ProcessRequest(client.CreateRequest(client_ids))
    found = client.GetIntersection(setup, response)
    return time.perf_counter() - start, len(found)


def run(n: int, applicants: int, root: Path) -> dict[str, object]:
    data = root / f"data-{n}"
    t0 = time.perf_counter()
    generate_health(n, 2026, data, applicants=applicants, end_date=AS_OF)
    synth_s = time.perf_counter() - t0
    work = root / f"work-{n}"
    first, second = underwritten(data, work, AS_OF)
    # Each run has its own deployment and timer, so the second run's figures
    # are one job against setups already cached.
    ours = sum(second.seconds.get(s, 0.0) for s in PSI_STAGES)
    client_ids = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
    baseline = 0.0
    matched: dict[str, int] = {}
    for name, dataset in (("hospital", "hospital"), ("cdc", "cdc")):
        with NodeStore(work / "nodes" / name, read_only=True) as store:
            ids = store.subject_ids(dataset)
        seconds, found = plain_psi(ids, client_ids)
        baseline += seconds
        matched[name] = found
    assert matched == second.matched, (matched, second.matched)
    job_total = sum(v for k, v in second.seconds.items() if k not in ("load", "psi_setup", "keys"))
    return {
        "n": n,
        "applicants": applicants,
        "ours_s": ours,
        "baseline_s": baseline,
        "ratio": baseline / ours if ours else None,
        "setup_once_s": first.seconds.get("psi_setup", 0.0),
        "setup_cached_s": second.seconds.get("psi_setup", 0.0),
        "job_total_s": job_total,
        "stages_s": {k: round(v, 3) for k, v in second.seconds.items()},
        "matched": second.matched,
        "synth_s": synth_s,
        "peak_mib": peak_mib(),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, action="append", help="provider population (repeatable)")
    parser.add_argument("--applicants", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object per size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-") as tmp:
        for n in args.n or [100_000, 1_000_000]:
            emit(run(n, args.applicants, Path(tmp)), args.json)


if __name__ == "__main__":
    main()
