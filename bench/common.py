"""Shared pieces of the benchmarks: machine facts and the one-line JSON result."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
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
