"""One-applicant underwriting across two peered spaces, beside one space.

Starts, as separate processes on 127.0.0.1, one space holding the hospital
and the CDC, and two peered spaces (city A: the hospital and the insurer;
city B: the CDC), each with its own provider nodes; then runs ``--requests``
one-applicant jobs (``--engine``: the direct lookup, or the blind one) one
after the other from an insurer at each deployment, timing each from
submission to decrypted score. A warm-up job runs first at each (keys,
pins, setups fetched; for the blind lookup, the epoch's tokens and the
day's masked uploads).

    ours_s      p50 latency across two spaces
    baseline_s  p50 latency in one space (same job, same machine)
    ratio       ours_s / baseline_s (issue 26 asks for under 2)

Usage: python bench/federation.py [--requests 20] [--people 900]
       [--engine direct_lookup|blind_lookup] [--json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trusted_space.hazmat.paillier import TEST_ONLY_KEYS_ENV

os.environ.setdefault(TEST_ONLY_KEYS_ENV, "1")  # the spaces' processes and this one: fast keys

from bench.common import emit, machine
from connectors.applicants import read_applicants
from tests.policy_docs import dated_example, write_policy
from tests.service.procs import ServiceDeployment
from tests.service.test_federation import Cities
from tests.service.underwriting import AS_OF
from trusted_space.demo import default_model_path
from trusted_space.nodes.remote import connect_consumer, run_remote_lookup
from trusted_space.synth import generate_health
from trusted_space.transport.http import HttpTransport, read_api_key

PROVIDERS = {"hospital": ["hospital"], "cdc": ["cdc"]}


def _latencies(
    url: str, key: Path, workdir: Path, people: list[str], requests: int, engine: str
) -> list[float]:
    transport = HttpTransport(url, read_api_key(key), patience=60)
    node = connect_consumer(transport, workdir)
    model = default_model_path().read_bytes()
    out = []
    try:
        for i in range(requests + 1):  # the first is a warm-up
            started = time.perf_counter()
            run_remote_lookup(
                node,
                transport,
                product="underwriting_score",
                subjects=[people[i % len(people)]],
                as_of=AS_OF,
                purpose="underwriting",
                providers=PROVIDERS,
                model_document=model,
                engine=engine,
                timeout=120,
            )
            if i:
                out.append(time.perf_counter() - started)
    finally:
        transport.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--people", type=int, default=900)
    parser.add_argument(
        "--engine", choices=("direct_lookup", "blind_lookup"), default="direct_lookup"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        generate_health(args.people, 26, data, applicants=40, end_date=AS_OF)
        direct = data / "policies-direct"
        direct.mkdir()
        for name in ("hospital", "cdc"):
            write_policy(direct, name, dated_example(name, lookup="any"))
        people = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
        (root / "one").mkdir()
        one = ServiceDeployment(
            root / "one",
            {
                "hospital": [f"{data}/hospital_visits.csv"],
                "cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"],
            },
            ["insurer"],
        )
        (root / "two").mkdir()
        cities = None
        try:
            one.steward("publish-model", str(default_model_path()))
            one.steward("publish-policy", *map(str, sorted(direct.glob("*.yaml"))))
            cities = Cities(root / "two", data)
            single = _latencies(
                one.url, one.keys["insurer"], root / "c1", people, args.requests, args.engine
            )
            across = _latencies(
                cities.a.url, cities.a.keys["insurer"], root / "c2", people, args.requests,
                args.engine,
            )  # fmt: skip
        finally:
            one.stop()
            if cities is not None:
                cities.stop()
    ours, baseline = statistics.median(across), statistics.median(single)
    emit(
        {
            "bench": "federation",
            "what": "one-applicant underwriting: two peered spaces vs one space, p50 over HTTP",
            "engine": args.engine,
            "requests": args.requests,
            "people": args.people,
            "ours_s": round(ours, 4),
            "baseline_s": round(baseline, 4),
            "ratio": round(ours / baseline, 2),
            "p90_ours_s": round(statistics.quantiles(across, n=10)[-1], 4),
            "p90_baseline_s": round(statistics.quantiles(single, n=10)[-1], 4),
            "machine": machine(),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
