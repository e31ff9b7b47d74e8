"""The underwriting and cohort products with their bulk work on a local Ray cluster.

Thresholds are lowered so that even this small data sends PSI setups,
tokenisation, feature SQL by partition, encryption and re-randomisation to
Ray; the results must equal the plaintext DuckDB references exactly, as on
the process pool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stories import (
    DIABETES_BY_SEX,
    cohort_reference,
    cohort_synth,
    underwrite_synth,
    underwriting_reference,
)
from trusted_space.bulk import feature_partitions, parallel, psi_partitions, tokens
from trusted_space.demo import compare
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
    monkeypatch.setattr(feature_partitions, "PARTITION_FROM", 8)
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


def test_underwriting_on_ray_equals_the_plaintext_reference(
    data: Path, tmp_path: Path, on_ray: list[str]
) -> None:
    run = underwrite_synth(data, tmp_path / "w")
    assert {"_setup_part", "_run_partition", "_encrypt_chunk", "_rerandomise_chunk"} <= set(on_ray)
    assert compare(run.rows, underwriting_reference(data)) == []
    assert sum(r.status == "scored" for r in run.rows) > 0


def test_cohort_on_ray_equals_a_plain_join(data: Path, tmp_path: Path, on_ray: list[str]) -> None:
    query = {
        **DIABETES_BY_SEX,
        "measures": ["count", "sum_cost", "sum_inpatient_days"],
        "group_by": ["age_band", "sex"],
    }
    run, path = cohort_synth(data, tmp_path / "w", query)
    assert {"_tokenise_part", "_encrypt_chunk", "_rerandomise_chunk"} <= set(on_ray)
    expected = cohort_reference(data, path)
    assert [{k: v for k, v in r.items() if k != "status"} for r in run.rows] == expected
    assert sum(r["count"] for r in expected) > 0
