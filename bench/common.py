"""Shared pieces of the benchmarks: machine facts and the one-line JSON result."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import sys
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.system(),
    }


def peak_mib() -> float:
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(self_kib, child_kib) / 1024


def emit(result: dict[str, Any], as_json: bool) -> None:
    """Print the result: one JSON object, or a readable block."""
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        if isinstance(value, float):
            value = f"{value:.3f}"
        print(f"{key:>28}: {value}", file=sys.stdout)


def run_facts() -> dict[str, Any]:
    """Where the figures came from: workers, backend, peak memory, machine."""
    from trusted_space.bulk import parallel

    return {
        "workers": parallel.workers(),
        "backend": parallel.backend_name(),
        "peak_mib": round(peak_mib(), 1),
        "machine": machine(),
    }


def underwritten(data: Path, work: Path, as_of: dt.date, runs: int = 2) -> list[Any]:
    """Run the underwriting job on tspace synth files ``runs`` times in one
    workdir: the first builds and caches the providers' setups, each later
    one is a job against setups already cached (each run reloads the data,
    so each has its own deployment and timer)."""
    from products.underwriting.runner import run_underwriting
    from trusted_space.demo import default_model_path

    return [
        run_underwriting(
            workdir=work,
            hospital=[data / "hospital_visits.csv"],
            cdc_reports=[data / "cdc_case_reports.csv"],
            cdc_registry=[data / "cdc_chronic_registry.csv"],
            applicants=data / "applicants.csv",
            model=default_model_path(),
            as_of=as_of,
            out=None,
        )
        for _ in range(runs)
    ]
