"""A 100,000 x 100,000 people cohort join, private beside plaintext DuckDB.

Writes a hospital with N inpatients in the query's period and a CDC registry
with N people with diabetes, half of them the same people, then runs
cohort_statistics through the embedded space (tokens, encrypted vectors,
join, unpack, threshold, release) and, beside it, the plain DuckDB join of
the same CSV files (products/cohort/reference.py).

    ours_s      the private job (upload, join, unpack, threshold, release), load excluded
    baseline_s  the plaintext DuckDB join and aggregation
    ratio       baseline_s / ours_s

Usage: python bench/cohort.py [--n 100000] [--json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine, peak_mib
from connectors.identifiers import RESIDENT_ID_CHECK_CHARS, RESIDENT_ID_WEIGHTS
from products.cohort.query import load_query
from products.cohort.reference import reference_cells
from products.cohort.runner import run_cohort

QUERY = {
    "hospital": {"cohort": "inpatients", "from": "2026-01-01", "to": "2026-06-30"},
    "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
    "measures": ["count", "sum_cost", "sum_inpatient_days"],
    "group_by": ["age_band", "sex"],
    "min_count": 10,
}


def resident_ids(n: int, start: int) -> list[str]:
    out = []
    for k in range(start, start + n):
        day = 1 + k % 28
        month = 1 + (k // 28) % 12
        year = 1940 + (k // 336) % 80
        seq = k % 1000
        body = f"310104{year:04d}{month:02d}{day:02d}{seq:03d}"
        total = sum(int(d) * w for d, w in zip(body, RESIDENT_ID_WEIGHTS, strict=True))
        out.append(body + RESIDENT_ID_CHECK_CHARS[total % 11])
    return out


def write_inputs(folder: Path, n: int) -> None:
    rng = np.random.default_rng(7)
    hospital = resident_ids(n, 0)
    cdc = resident_ids(n, n // 2)  # half the same people
    with (folder / "hospital_visits.csv").open("w", encoding="utf-8") as fh:
        fh.write(
            "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost\n"
        )
        days = rng.integers(0, 170, n)
        stay = rng.integers(1, 15, n)
        cost = rng.integers(100_000, 5_000_000, n)
        for i, pid in enumerate(hospital):
            start = np.datetime64("2026-01-01") + days[i]
            end = start + stay[i]
            fh.write(f"{pid},V{i},H{i % 7},{start},inpatient,{end},E11.9,{cost[i] / 100:.2f}\n")
    with (folder / "cdc_chronic_registry.csv").open("w", encoding="utf-8") as fh:
        fh.write("person_id,condition,registered_date\n")
        for pid in cdc:
            fh.write(f"{pid},diabetes,2020-01-01\n")
    (folder / "cdc_case_reports.csv").write_text(
        "person_id,report_id,report_date,disease_icd10,case_status\n", encoding="utf-8"
    )
    (folder / "query.yaml").write_text(yaml.safe_dump(QUERY), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tspace-bench-cohort-") as tmp:
        root = Path(tmp)
        write_inputs(root, args.n)
        start = time.perf_counter()
        expected = reference_cells(
            load_query(root / "query.yaml"),
            hospital=root / "hospital_visits.csv",
            reports=root / "cdc_case_reports.csv",
            registry=root / "cdc_chronic_registry.csv",
        )
        baseline = time.perf_counter() - start
        run = run_cohort(
            workdir=root / "w",
            hospital=[root / "hospital_visits.csv"],
            cdc_reports=[root / "cdc_case_reports.csv"],
            cdc_registry=[root / "cdc_chronic_registry.csv"],
            query=root / "query.yaml",
            out=root / "result.csv",
        )
        stages = {k: round(v, 3) for k, v in run.seconds.items()}
        ours = sum(v for k, v in run.seconds.items() if k != "load")
        ok = [r for r in run.rows if r["status"] == "ok"]
        matches = all(
            {k: r[k] for k in e} == e
            for r, e in zip(run.rows, expected, strict=True)
            if r["status"] == "ok"
        )
    emit(
        {
            "n": args.n,
            "intersection": sum(e["count"] for e in expected),
            "ours_s": ours,
            "baseline_s": baseline,
            "ratio": baseline / ours,
            "stages_s": stages,
            "cells_released": len(ok),
            "equal_to_plaintext": matches,
            "peak_mib": peak_mib(),
            "machine": machine(),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
