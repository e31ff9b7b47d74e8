"""tspace lend on synthetic companies, beside the plaintext reference's time.

Generates the trading centres' OCDS files for N companies (tspace synth),
runs tender_lending_features for the bank's batch on the embedded
deployment, and computes the same features in plaintext (DuckDB) from the
same files; checks the two agree.

    lend_s        the private run, end to end (load, PSI, encryption, decryption)
    lend_cpu_s    CPU seconds of that run, this process and its workers
    reference_s   the plaintext reference on the same files
    held_by_one, held_by_several   companies one centre holds, several hold
    sent, released   ciphertexts the centres encrypted, the space re-randomised
                  and the bank decrypted (from the layout at the key's size)
    stages        seconds per stage of the private run

Usage: python bench/lend.py [--companies 500] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, run_facts

AS_OF = dt.date(2026, 10, 31)


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run(companies: int, root: Path) -> dict[str, object]:
    from products.features_layout import layout, released
    from products.lending import TENDER_LENDING
    from products.lending.reference import reference_features
    from products.lending.runner import run_lending
    from trusted_space.bulk import parallel
    from trusted_space.hazmat.paillier import PAILLIER_2048
    from trusted_space.synth import generate_tenders

    tenders = root / "tenders"
    generate_tenders(companies, 2026, tenders)
    centres = sorted(p for p in tenders.iterdir() if p.is_dir())
    applicants = tenders / "bank_applicants.csv"
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    private = run_lending(
        workdir=root / "work", tenders=centres, applicants=applicants, as_of=AS_OF, out=None
    )
    lend_s = time.perf_counter() - t0
    parallel.shutdown()  # the workers' CPU is counted once they are reaped
    lend_cpu = cpu_seconds() - cpu0
    t0 = time.perf_counter()
    reference = reference_features(
        centres=centres, applicants=applicants, as_of=AS_OF, features=private.features
    )
    reference_s = time.perf_counter() - t0
    mismatches = sum(
        a.cells(private.features) != b.cells(private.features)
        for a, b in zip(private.rows, reference, strict=True)
    )
    found = sum(r.status == "found" for r in private.rows)
    holders = [h for h in private.holders.values() if h > 0]
    blocks = layout(TENDER_LENDING, private.features, key_bits=PAILLIER_2048.bits)
    return {
        "companies": companies,
        "batch": len(private.rows),
        "found": found,
        "held_by_one": sum(h == 1 for h in holders),
        "held_by_several": sum(h > 1 for h in holders),
        "sent": len(blocks) * sum(holders),
        "released": sum(len(released(blocks, h)) for h in holders),
        "lend_s": lend_s,
        "lend_cpu_s": lend_cpu,
        "reference_s": reference_s,
        "mismatches": mismatches,
        "stages": {k: round(v, 2) for k, v in sorted(private.seconds.items())},
        **run_facts(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-lend-") as tmp:
        result = run(args.companies, Path(tmp))
    emit(result, args.json)
    if result["mismatches"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
