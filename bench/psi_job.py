"""A 1,000-applicant underwriting job's PSI against cached setups of N people,
beside what openmined-psi itself needs for the same items against the same sets.

Generate N people (tspace synth), load the hospital and the CDC, build and
cache each provider's setup, then run the job twice and time the second:

    ours_s      the job's PSI stages with cached setups: submit (validate the
                batch, one PSI request, policy, ledger), providers answer,
                the insurer intersects and seals the matches
    baseline_s  openmined-psi alone for the same applicants against each
                provider's set, setups built beforehand and not timed: one
                CreateRequest, then ProcessRequest and GetIntersection per
                provider
    ratio       ours_s / baseline_s (the issue's goal: at most 1.3)

Both find the same matches. Usage: python bench/psi_job.py [--n 1000000]
[--applicants 1000] [--json]
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

from bench.common import emit, run_facts, twice_underwritten
from connectors.applicants import read_applicants
from connectors.node_store import NodeStore
from trusted_space.hazmat.psi import DEFAULT_FPR
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)
PSI_STAGES = ("submit", "psi_respond", "psi_finish")


def plain_psi(
    sets: dict[str, list[str]], client_ids: list[str]
) -> tuple[dict[str, float], dict[str, int]]:
    """openmined-psi's own request, process and intersection, setups untimed."""
    servers = {}
    setups = {}
    for name, ids in sets.items():
        servers[name] = openmined_psi.server.CreateWithNewKey(True)
        setups[name] = servers[name].CreateSetupMessage(
            DEFAULT_FPR, len(client_ids), ids, openmined_psi.DataStructure.GCS
        )
    seconds = {"request": 0.0, "process": 0.0, "intersection": 0.0}
    found: dict[str, int] = {}
    start = time.perf_counter()
    client = openmined_psi.client.CreateWithNewKey(True)
    request = client.CreateRequest(client_ids)
    seconds["request"] = time.perf_counter() - start
    for name, server in servers.items():
        start = time.perf_counter()
        response = server.ProcessRequest(request)
        seconds["process"] += time.perf_counter() - start
        start = time.perf_counter()
        found[name] = len(client.GetIntersection(setups[name], response))
        seconds["intersection"] += time.perf_counter() - start
    return seconds, found


def run(n: int, applicants: int, root: Path) -> dict[str, object]:
    data = root / "data"
    generate_health(n, 2026, data, applicants=applicants, end_date=AS_OF)
    work = root / "work"
    first, second = twice_underwritten(data, work, AS_OF)
    ours = sum(second.seconds.get(s, 0.0) for s in PSI_STAGES)

    client_ids = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
    sets = {}
    for name in ("hospital", "cdc"):
        with NodeStore(work / "nodes" / name, read_only=True) as store:
            sets[name] = store.subject_ids(name)
    baseline_phases, found = plain_psi(sets, client_ids)
    if found != second.matched:
        raise SystemExit(f"matches differ: openmined-psi {found}, the job {second.matched}")
    baseline = sum(baseline_phases.values())
    return {
        "bench": "psi_job",
        "n": n,
        "applicants": len(client_ids),
        "ours_s": round(ours, 3),
        "baseline_s": round(baseline, 3),
        "ratio": round(ours / baseline, 3),
        "ours_stages_s": {s: round(second.seconds.get(s, 0.0), 3) for s in PSI_STAGES},
        "baseline_phases_s": {k: round(v, 3) for k, v in baseline_phases.items()},
        "provider_subjects": {k: len(v) for k, v in sets.items()},
        "matched": second.matched,
        "setup_once_s": round(first.seconds.get("psi_setup", 0.0), 3),
        **run_facts(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="provider population")
    parser.add_argument("--applicants", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-") as tmp:
        emit(run(args.n, args.applicants, Path(tmp)), args.json)


if __name__ == "__main__":
    main()
