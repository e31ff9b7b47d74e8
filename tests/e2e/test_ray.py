"""The underwriting and cohort products with their bulk work on a local Ray cluster.

Thresholds are lowered so that even this small data sends PSI setups,
tokenisation, encryption and re-randomisation to Ray; the results must
equal the plaintext DuckDB references exactly, as on the process pool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from products.cohort.query import load_query
from products.cohort.reference import reference_cells
from products.cohort.runner import run_cohort
from products.score_model import ScoreModel
from products.underwriting.reference import reference_scores
from products.underwriting.runner import run_underwriting
from trusted_space import parallel, psi_partitions, tokens
from trusted_space.demo import compare, default_model_path
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'tspace[ray]'")

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("health")
    generate_health(4000, 21, out, applicants=80, end_date=AS_OF)
    return out


@pytest.fixture
def on_ray(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.setattr(parallel, "INLINE_BELOW", 8)
    monkeypatch.setattr(psi_partitions, "PARTITION_ABOVE", 100)
    monkeypatch.setattr(tokens, "PARALLEL_ABOVE", 100)
    calls: list[str] = []  # the functions sent to Ray
    real = parallel._ray

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(real(), name)

        def remote(self, fn: Any) -> Any:
            calls.append(fn.__name__)
            return real().remote(fn)

    monkeypatch.setattr(parallel, "_ray", Recording)
    parallel.use_ray("local")  # ray.init(num_cpus=2) on this machine
    try:
        assert parallel.workers() == 2
        yield calls
    finally:
        parallel.use_ray(None)
    assert not ray.is_initialized()


def _inputs(data: Path) -> dict[str, Any]:
    return {
        "hospital": [data / "hospital_visits.csv"],
        "cdc_reports": [data / "cdc_case_reports.csv"],
        "cdc_registry": [data / "cdc_chronic_registry.csv"],
        "paillier_preset": TEST_ONLY_PAILLIER_1024,
    }


def test_underwriting_on_ray_equals_the_plaintext_reference(
    data: Path, tmp_path: Path, on_ray: list[str]
) -> None:
    run = run_underwriting(
        workdir=tmp_path / "w",
        applicants=data / "applicants.csv",
        model=default_model_path(),
        as_of=AS_OF,
        out=tmp_path / "scores.csv",
        **_inputs(data),
    )
    assert {"_setup_part", "_encrypt_chunk", "_rerandomise_chunk"} <= set(on_ray)
    expected = reference_scores(
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
        applicants=data / "applicants.csv",
        model=ScoreModel.load(default_model_path()),
        as_of=AS_OF,
    )
    assert compare(run.rows, expected) == []
    assert sum(r.status == "scored" for r in run.rows) > 0


def test_cohort_on_ray_equals_a_plain_join(data: Path, tmp_path: Path, on_ray: list[str]) -> None:
    query = tmp_path / "query.yaml"
    query.write_text(
        yaml.safe_dump(
            {
                "hospital": {"cohort": "inpatients", "from": "2025-01-01", "to": "2026-06-30"},
                "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
                "measures": ["count", "sum_cost", "sum_inpatient_days"],
                "group_by": ["age_band", "sex"],
                "min_count": 0,
            }
        ),
        encoding="utf-8",
    )
    run = run_cohort(workdir=tmp_path / "w", query=query, out=tmp_path / "r.csv", **_inputs(data))
    assert {"_tokenise_part", "_encrypt_chunk", "_rerandomise_chunk"} <= set(on_ray)
    expected = reference_cells(
        load_query(query),
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
    )
    assert [{k: v for k, v in r.items() if k != "status"} for r in run.rows] == expected
    assert sum(r["count"] for r in expected) > 0
