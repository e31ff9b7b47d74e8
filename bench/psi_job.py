"""A 1,000-applicant underwriting job's PSI against cached setups of N people,
beside what openmined-psi itself needs for the same items against the same sets.

Generate N people (tspace synth; the default 1,460,000 gives the hospital
about 1,000,000 subjects and the CDC about 130,000), load the hospital and
the CDC, build and cache each provider's setup, then run the job --repeats
more times against the cached setups; the median run counts:

    ours_s      the job's PSI stages with cached setups: submit (validate the
                batch, one PSI request, policy, ledger), providers answer,
                the insurer intersects and seals the matches
    baseline_s  openmined-psi alone for the same applicants against each
                provider's set, setups built beforehand and not timed: one
                CreateRequest, then ProcessRequest and GetIntersection per
                provider
    ratio       ours_s / baseline_s (the issue's goal: at most 1.3)

Both find the same matches. Usage: python bench/psi_job.py [--n 1460000]
[--applicants 1000] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import private_set_intersection.python as openmined_psi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, run_facts, underwritten
from connectors.applicants import read_applicants
from connectors.node_store import NodeStore
from trusted_space.hazmat.psi import DEFAULT_FPR
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)
PSI_STAGES = ("submit", "psi_respond", "psi_finish")


def plain_psi(
    sets: dict[str, list[str]], client_ids: list[str], repeats: int
) -> tuple[list[dict[str, float]], dict[str, int]]:
    """openmined-psi's own request, process and intersection, ``repeats``
    times with a fresh client each; the setups are built once, untimed."""
    servers = {}
    setups = {}
    for name, ids in sets.items():
        servers[name] = openmined_psi.server.CreateWithNewKey(True)
        setups[name] = servers[name].CreateSetupMessage(
            DEFAULT_FPR, len(client_ids), ids, openmined_psi.DataStructure.GCS
        )
    rounds = []
    found: dict[str, int] = {}
    for _ in range(repeats):
        seconds = {"request": 0.0, "process": 0.0, "intersection": 0.0}
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
        rounds.append(seconds)
    return rounds, found


def run(n: int, applicants: int, repeats: int, root: Path) -> dict[str, object]:
    data = root / "data"
    generate_health(n, 2026, data, applicants=applicants, end_date=AS_OF)
    work = root / "work"
    first, *jobs = underwritten(data, work, AS_OF, runs=1 + repeats)
    ours_runs = [sum(j.seconds.get(s, 0.0) for s in PSI_STAGES) for j in jobs]
    middle = jobs[ours_runs.index(statistics.median_low(ours_runs))]

    client_ids = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
    sets = {}
    for name in ("hospital", "cdc"):
        with NodeStore(work / "nodes" / name, read_only=True) as store:
            sets[name] = store.subject_ids(name)
    rounds, found = plain_psi(sets, client_ids, repeats)
    if any(found != j.matched for j in jobs):
        raise SystemExit(f"matches differ: openmined-psi {found}, the job {middle.matched}")
    baseline_runs = [sum(r.values()) for r in rounds]
    baseline = statistics.median_low(baseline_runs)
    ours = statistics.median_low(ours_runs)
    return {
        "bench": "psi_job",
        "n": n,
        "applicants": len(client_ids),
        "ours_s": round(ours, 3),
        "baseline_s": round(baseline, 3),
        "ratio": round(ours / baseline, 3),
        "repeats": repeats,
        "ours_runs_s": [round(x, 3) for x in ours_runs],
        "baseline_runs_s": [round(x, 3) for x in baseline_runs],
        "ours_stages_s": {s: round(middle.seconds.get(s, 0.0), 3) for s in PSI_STAGES},
        "baseline_phases_s": {
            k: round(v, 3) for k, v in rounds[baseline_runs.index(baseline)].items()
        },
        "provider_subjects": {k: len(v) for k, v in sets.items()},
        "matched": middle.matched,
        "setup_once_s": round(first.seconds.get("psi_setup", 0.0), 3),
        **run_facts(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n",
        type=int,
        default=1_460_000,
        help="people; the default gives the hospital about 1,000,000 subjects",
    )
    parser.add_argument("--applicants", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3, help="jobs timed; the median counts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-") as tmp:
        emit(run(args.n, args.applicants, args.repeats, Path(tmp)), args.json)


if __name__ == "__main__":
    main()
