"""The cohort's noise scale for every grouping, derived here by hand from the
definition (docs/cohort.md), not from the function under test: each measure's
per-person clip times the cells one person can reach (every value of each
visit-level dimension: hospital_id, month; one value of each person-level
dimension: sex, age_band), and the query's epsilon split equally."""

from __future__ import annotations

import pytest

from products.cohort.layout import build_layout
from products.cohort.query import parse_query
from trusted_space.space.engines.join import noise_scale

# One person's largest contribution to one cell, in encoded units, as
# docs/cohort.md states them: a count of 1, 100,000 yuan in fen, a year of
# inpatient days, 20 reports.
CLIP_BY_HAND = {"count": 1, "sum_cost": 10_000_000, "sum_inpatient_days": 366, "count_reports": 20}
HOSPITALS = ["H310104001", "H310104002", "H310104003"]


def query(group_by: list[str], start: str, end: str, measures: list[str]):  # type: ignore[no-untyped-def]
    return parse_query(
        {
            "hospital": {"cohort": "inpatients", "from": start, "to": end},
            "cdc": {"cohort": "confirmed_reports", "codes": "A00-B99", "from": start, "to": end},
            "measures": measures,
            "group_by": group_by,
            "dp": {"epsilon": 1.2},
        }
    )


@pytest.mark.parametrize(
    ("group_by", "start", "end", "cells_one_person_reaches"),
    [
        (["sex"], "2026-01-01", "2026-06-30", 1),
        (["age_band"], "2026-01-01", "2026-06-30", 1),
        (["age_band", "sex"], "2026-01-01", "2026-06-30", 1),
        (["hospital_id"], "2026-01-01", "2026-06-30", 3),  # three hospitals
        (["month"], "2026-01-01", "2026-04-30", 4),  # January to April
        (["month"], "2025-11-15", "2026-02-01", 4),  # November to February
        (["hospital_id", "month"], "2026-01-01", "2026-04-30", 12),
        (["sex", "month"], "2026-03-01", "2026-03-31", 1),  # one month
        (["age_band", "hospital_id"], "2026-01-01", "2026-06-30", 3),
    ],
)
def test_every_groupings_sensitivity_and_epsilon(
    group_by: list[str], start: str, end: str, cells_one_person_reaches: int
) -> None:
    measures = ["count", "sum_cost", "sum_inpatient_days"]
    if set(group_by) <= {"sex", "age_band"}:
        measures.append("count_reports")  # the CDC's measure: person-level groupings only
    q = query(group_by, start, end, measures)
    layout = build_layout(q, HOSPITALS, 2048)
    scale = noise_scale(q, layout)
    assert set(scale) == set(measures)
    for name, (epsilon, sensitivity) in scale.items():
        assert sensitivity == CLIP_BY_HAND[name] * cells_one_person_reaches, (name, group_by)
        assert epsilon == pytest.approx(1.2 / len(measures), rel=1e-12)
    assert sum(e for e, _ in scale.values()) <= 1.2  # never overspent
