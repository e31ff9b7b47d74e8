"""The underwriting and cohort stories on the national suite (SM3, SM2, SM4).

First step of running every end-to-end story under both suites: here the
underwriting job equals its plaintext reference, the cohort job equals a
plain join, and the ledger — SM3-chained, SM2-signed — verifies.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from products.cohort.query import load_query
from products.cohort.reference import reference_cells
from products.cohort.runner import run_cohort
from products.score_model import ScoreModel
from products.underwriting.reference import reference_scores
from tests.stories import underwrite_synth
from trusted_space.demo import compare, default_model_path
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health

TSPACE = str(Path(sys.executable).parent / "tspace")
AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    generate_health(2500, 17, out, applicants=40, end_date=AS_OF)
    return out


def test_underwriting_under_gm_equals_the_reference_and_the_ledger_verifies(
    data: Path, tmp_path: Path
) -> None:
    run = underwrite_synth(data, tmp_path / "w", suite="gm")
    expected = reference_scores(
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
        applicants=data / "applicants.csv",
        model=ScoreModel.load(default_model_path()),
        as_of=AS_OF,
    )
    assert compare(run.rows, expected) == []
    result = subprocess.run(
        [TSPACE, "--lang", "en", "ledger", "verify", "--workdir", str(tmp_path / "w")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "(gm suite)" in result.stdout
    with pytest.raises(Exception, match="gm"):  # the space keeps the suite it was created with
        underwrite_synth(data, tmp_path / "w", suite="default")


def test_cohort_under_gm_equals_a_plain_join(data: Path, tmp_path: Path) -> None:
    query = tmp_path / "q.yaml"
    query.write_text(
        yaml.safe_dump(
            {
                "hospital": {"cohort": "inpatients", "from": "2025-01-01", "to": "2026-06-30"},
                "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
                "measures": ["count", "sum_cost"],
                "group_by": ["sex"],
                "min_count": 0,
            }
        ),
        encoding="utf-8",
    )
    run = run_cohort(
        workdir=tmp_path / "w",
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        query=query,
        out=tmp_path / "cells.csv",
        paillier_preset=TEST_ONLY_PAILLIER_1024,
        suite="gm",
    )
    expected = reference_cells(
        load_query(query),
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
    )
    assert [{k: v for k, v in r.items() if k != "status"} for r in run.rows] == expected
    assert sum(r["count"] for r in expected) > 0
