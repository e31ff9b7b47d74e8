"""Fast claims job cost beside the underwriting job for the same batch size.

Generate a hospital of ``--people`` people (tspace synth, default 1,000,000),
an applicants file of N and a claims file of N (the generator's mix of honest,
inflated, misdated, unknown and invalid claims). In one workdir per product,
run each job twice: the first builds and caches the providers' PSI setups,
the second is a job against cached setups, the one timed.

    ours_s      the claims job (N claims against the hospital group): every
                stage after loading and the PSI setup (submit, PSI, sealed
                claims, the hospital's checks and encryption, combination,
                decryption)
    baseline_s  the underwriting job for N applicants on the same machine
                (hospital and CDC), the same stages
    ratio       ours_s / baseline_s (the issue's goal: under 3)

Both use 2048-bit Paillier keys, as production does. Usage:
python bench/claims.py [--n 10000] [--people 1000000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine, peak_mib, underwritten
from products.claims.runner import run_claims
from trusted_space.synth import generate_claims, generate_health

AS_OF = dt.date(2026, 10, 31)
NOT_THE_JOB = ("load", "psi_setup", "keys")


def job_seconds(seconds: dict[str, float]) -> float:
    """A job's time: every stage but loading, the PSI setup and key making."""
    return sum(v for k, v in seconds.items() if k not in NOT_THE_JOB)


def run(n: int, people: int, root: Path) -> dict[str, object]:
    data = root / f"data-{people}-{n}"
    t0 = time.perf_counter()
    generate_health(people, 2026, data, applicants=n, end_date=AS_OF)
    generate_claims(data / "hospital_visits.csv", data / "claims.csv", n, 2026)
    synth_s = time.perf_counter() - t0
    claims_work = root / f"claims-{people}-{n}"
    first, second = (
        run_claims(
            workdir=claims_work,
            hospital=[data / "hospital_visits.csv"],
            claims=data / "claims.csv",
            as_of=AS_OF,
            out=None,
        )
        for _ in range(2)
    )
    _, underwriting = underwritten(data, root / f"underwrite-{people}-{n}", AS_OF)
    ours = job_seconds(second.seconds)
    baseline = job_seconds(underwriting.seconds)
    statuses: dict[str, int] = {}
    for row in second.rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    assert sum(statuses.values()) == n, statuses
    return {
        "n": n,
        "people": people,
        "ours_s": ours,
        "baseline_s": baseline,
        "ratio": ours / baseline if baseline else None,
        "claims_stages_s": {k: round(v, 3) for k, v in second.seconds.items()},
        "underwriting_stages_s": {k: round(v, 3) for k, v in underwriting.seconds.items()},
        "setup_once_s": first.seconds.get("psi_setup", 0.0),
        "claims_matched": second.matched,
        "underwriting_matched": underwriting.matched,
        "statuses": dict(sorted(statuses.items())),
        "synth_s": synth_s,
        "peak_mib": peak_mib(),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="claims (and applicants) per job")
    parser.add_argument("--people", type=int, default=1_000_000, help="the hospital's population")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-") as tmp:
        emit(run(args.n, args.people, Path(tmp)), args.json)


if __name__ == "__main__":
    main()
