"""Two cohort queries of one consumer that differ by a few people (issue 22, item 8).

Under a policy with min_count and no differential privacy, a consumer asked
for inpatients with diabetes up to one day, then up to a later day whose
cohort holds a few more people: the difference of the released cells is
those people's costs. The space now refuses the second release (before the
consumer sees a slot), from the ledger of the consumer's earlier jobs; the
same query on the same day, and a cohort far enough away, still run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from products.cohort.query import parse_query
from products.cohort.reference import reference_cells
from products.cohort.runner import run_cohort
from tests.policy_docs import exact_cohort_policy, write_policy
from trusted_space.core.errors import JobFailed
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)
MIN_COUNT = 5


def _query(to: dt.date) -> dict[str, Any]:
    return {
        "hospital": {"cohort": "inpatients", "from": "2026-01-01", "to": to.isoformat()},
        "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
        "measures": ["count", "sum_cost"],
        "group_by": ["sex"],
    }


def _size(data: Path, to: dt.date) -> int:
    cells = reference_cells(
        parse_query(_query(to)),
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
    )
    return sum(int(c["count"]) for c in cells)


def _first(days: list[dt.date], holds: Callable[[dt.date], bool]) -> dt.date:
    """The first of ``days`` on which ``holds``, given that it holds on every
    day after that one too (a cohort only grows with its window): a binary
    search, since each look reads the files again."""
    lo, hi = 0, len(days)
    while lo < hi:
        mid = (lo + hi) // 2
        if holds(days[mid]):
            hi = mid
        else:
            lo = mid + 1
    assert lo < len(days), "no such day"
    return days[lo]


def _run(data: Path, work: Path, to: dt.date, policies: list[Path], name: str) -> Any:
    import yaml

    query = work / f"{name}.yaml"
    work.mkdir(parents=True, exist_ok=True)
    query.write_text(yaml.safe_dump(_query(to)), encoding="utf-8")
    return run_cohort(
        workdir=work,
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        query=query,
        out=work / f"{name}.csv",
        paillier_preset=TEST_ONLY_PAILLIER_1024,
        policies=policies,
    )


def test_a_second_query_that_isolates_a_few_people_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate_health(4000, 3, data, applicants=10, end_date=AS_OF)
    first = dt.date(2026, 5, 31)
    base = _size(data, first)
    # The nearest later day whose cohort holds more people, a few more; the
    # nearest earlier one min_count people or more apart.
    later = _first(
        [first + dt.timedelta(days=n) for n in range(1, 120)], lambda d: _size(data, d) > base
    )
    assert 0 < _size(data, later) - base < MIN_COUNT
    far = _first(
        [first - dt.timedelta(days=n) for n in range(1, 150)],
        lambda d: base - _size(data, d) >= MIN_COUNT,
    )
    policies = [
        write_policy(tmp_path, name, exact_cohort_policy(name, MIN_COUNT))
        for name in ("hospital", "cdc")
    ]
    work = tmp_path / "work"
    _run(data, work, first, policies, "first")
    _run(data, work, first, policies, "again")  # the same query, the same day: nothing new
    with pytest.raises(JobFailed, match="differencing_refused"):
        _run(data, work, later, policies, "later")
    assert not (work / "later.csv").exists()
    _run(data, work, far, policies, "far")  # min_count people or more apart: released
