"""PSI setup for N subjects on every core, beside one openmined-psi call.

Ours is what a provider node builds and caches per dataset version:
trusted_space/psi_partitions.build_setup splits the ids by a salted hash into
one partition per worker and builds each partition's compressed set in its
own process with the same server key (pool start and pickling included).
The baseline is one openmined-psi CreateSetupMessage over the same ids, with
the same key, false-positive rate, client batch size and data structure.

    ours_s      partitioned setup, worker pool start included
    baseline_s  one CreateSetupMessage call
    ratio       baseline_s / ours_s

The two setups are then checked to answer the same client query identically.
Usage: python bench/psi.py [--n 1000000] [--max-client-items 1000] [--json]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import private_set_intersection.python as openmined_psi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, run_facts
from trusted_space.bulk import parallel, psi_partitions
from trusted_space.hazmat import psi
from trusted_space.synth import resident_ids


def run(n: int, max_client_items: int, seed: int) -> dict[str, object]:
    ids = resident_ids(n, seed).to_pylist()
    key = psi.PsiServerKey.generate()
    parallel.shutdown()  # the worker pool starts inside the timed call
    start = time.perf_counter()
    ours = psi_partitions.build_setup(key, ids, max_client_items)
    ours_s = time.perf_counter() - start

    server = openmined_psi.server.CreateFromKey(key.export_secret(), True)
    start = time.perf_counter()
    baseline = server.CreateSetupMessage(
        psi.DEFAULT_FPR, max_client_items, ids, openmined_psi.DataStructure.GCS
    )
    baseline_s = time.perf_counter() - start

    rng = random.Random(seed)
    query = rng.sample(ids, max_client_items // 2) + [
        f"absent-{i}" for i in range(max_client_items // 2)
    ]
    rng.shuffle(query)
    client = psi.PsiClient()
    response = key.process_request(client.create_request(query), max_client_items)
    found_ours = psi_partitions.intersection(client, ours, response, query)
    found_plain = client.intersection(bytes(baseline.SerializeToString()), response)
    if found_ours != found_plain or len(found_ours) != max_client_items // 2:
        raise SystemExit("the partitioned setup answered differently from the single one")

    return {
        "bench": "psi",
        "n": n,
        "ours_s": round(ours_s, 3),
        "baseline_s": round(baseline_s, 3),
        "ratio": round(baseline_s / ours_s, 2),
        "partitions": len(psi_partitions.unpack(ours)),
        "ours_setup_mib": round(len(ours) / 2**20, 2),
        "baseline_setup_mib": round(baseline.ByteSize() / 2**20, 2),
        "baseline_us_per_item": round(baseline_s / n * 1e6, 1),
        "max_client_items": max_client_items,
        **run_facts(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="server items")
    parser.add_argument("--max-client-items", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    emit(run(args.n, args.max_client_items, args.seed), args.json)


if __name__ == "__main__":
    main()
