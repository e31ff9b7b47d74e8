"""A second join product runs on the space-aided join engine with no change
under trusted_space/space/: registered beside cohort_statistics under another
name (as a new product folder would register itself), its job runs end to end
and its cells equal the plaintext reference. The engine, the provider's upload
and the requester's side take everything from the product definition."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

import products.cohort.runner as cohort_runner
from products import registry
from products.cohort import COHORT
from tests.stories import DIABETES_BY_SEX, cohort_reference, cohort_synth
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)


def test_a_second_join_product_needs_only_its_definition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = dataclasses.replace(
        COHORT,
        name="chronic_cost_cohorts",
        title_en="Chronic-disease cost cohorts",
        title_zh="慢病费用人群",
    )
    monkeypatch.setitem(registry.PRODUCTS, second.name, second)
    monkeypatch.setattr(cohort_runner, "COHORT", second)  # the runner asks for this product
    data = tmp_path / "data"
    generate_health(3000, 5, data, applicants=5, end_date=AS_OF)
    run, query = cohort_synth(data, tmp_path / "w", DIABETES_BY_SEX)
    expected = cohort_reference(data, query)
    assert sum(r["count"] for r in expected) > 0, "the generated cohorts overlap"
    assert [{k: v for k, v in r.items() if k != "status"} for r in run.rows] == expected
    db = sqlite3.connect(tmp_path / "w" / "space" / "space.sqlite")
    try:
        product = db.execute("SELECT product FROM jobs WHERE job_id = ?", (run.job_id,)).fetchone()
    finally:
        db.close()
    assert product == (second.name,), "the job ran as the second product"
