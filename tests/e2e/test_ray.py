"""The underwriting and cohort products with their bulk work on a local Ray cluster.

Thresholds are lowered so that even this small data sends PSI setups,
tokenisation, feature SQL by partition, encryption and re-randomisation to
Ray; the results must equal the plaintext DuckDB references exactly, as on
the process pool.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from products.lending.reference import reference_features
from products.lending.runner import run_lending
from products.underwriting.runner import ScoreRow
from tests.stories import (
    DIABETES_BY_SEX,
    cohort_reference,
    cohort_synth,
    underwrite_synth,
    underwriting_reference,
)
from trusted_space.bulk import feature_partitions, parallel, psi_partitions, tokens
from trusted_space.cli import app
from trusted_space.demo import compare, default_model_path
from trusted_space.hazmat.paillier import TEST_ONLY_KEYS_ENV, TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health, generate_tenders

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'tspace[ray]'")

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("health")
    generate_health(2000, 21, out, applicants=40, end_date=AS_OF)
    return out


def test_tspace_stops_the_cluster_it_started_and_only_that_one() -> None:
    """``use_ray("local")`` starts a cluster here on first use and
    ``use_ray(None)`` stops it; a cluster the caller started itself (as the
    tests below share one) is used as it is and left running."""
    assert not ray.is_initialized()
    parallel.use_ray("local")
    try:
        assert parallel.workers() == 2 and ray.is_initialized()
    finally:
        parallel.use_ray(None)
    assert not ray.is_initialized() and parallel.backend_name() == "local"
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        parallel.use_ray("local")
        assert parallel.workers() == 1  # the caller's cluster, not a new one
        parallel.use_ray(None)
        assert ray.is_initialized()
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """One local cluster for the module's runs (starting one costs seconds),
    started as a caller's own: tspace uses it and leaves it running."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def on_ray(recorded: list[str]) -> Iterator[list[str]]:
    parallel.use_ray("local")  # the module's cluster (2 CPUs)
    assert parallel.workers() == 2
    yield recorded


@pytest.fixture
def recorded(cluster: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Thresholds lowered; the names of the functions sent to Ray, if any."""
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
    try:
        yield calls
    finally:
        parallel.use_ray(None)
    assert ray.is_initialized()  # the module's cluster: not tspace's to stop


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


def test_lending_on_ray_equals_the_plaintext_reference(tmp_path: Path, on_ray: list[str]) -> None:
    tenders = tmp_path / "tenders"
    generate_tenders(300, 8, tenders, applicants=60, end_date=AS_OF)
    centres = [tenders / "centre_a", tenders / "centre_b"]
    run = run_lending(
        workdir=tmp_path / "w",
        tenders=centres,
        applicants=tenders / "bank_applicants.csv",
        as_of=AS_OF,
        out=tmp_path / "w" / "features.csv",
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    assert {"_setup_part", "_run_partition", "_encrypt_chunk", "_rerandomise_chunk"} <= set(on_ray)
    reference = reference_features(
        centres=centres, applicants=tenders / "bank_applicants.csv", as_of=AS_OF
    )
    assert [(r.company_ref, r.status, r.values) for r in run.rows] == [
        (r.company_ref, r.status, r.values) for r in reference
    ]
    assert sum(r.status == "found" for r in reference) > 10


@pytest.mark.parametrize("how", ["--ray", "TSPACE_RAY", "neither"])
def test_the_ray_option_and_variable_send_bulk_work_to_ray(
    how: str, data: Path, tmp_path: Path, recorded: list[str]
) -> None:
    out = tmp_path / "scores.csv"
    # A short batch, and the named test keys: the point is where the work goes.
    batch = tmp_path / "applicants.csv"
    lines = (data / "applicants.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    batch.write_text("".join(lines[:21]), encoding="utf-8")
    args = [
        "underwrite",
        *("--hospital", str(data / "hospital_visits.csv")),
        *("--cdc-reports", str(data / "cdc_case_reports.csv")),
        *("--cdc-registry", str(data / "cdc_chronic_registry.csv")),
        *("--applicants", str(batch)),
        *("--model", str(default_model_path())),
        *("--as-of", AS_OF.isoformat()),
        *("--out", str(out)),
        *("--workdir", str(tmp_path / "w")),
    ]
    env = {TEST_ONLY_KEYS_ENV: "1"}
    if how == "TSPACE_RAY":
        env["TSPACE_RAY"] = "local"
    if how == "--ray":
        args += ["--ray", "local"]
    result = CliRunner().invoke(app, ["--lang", "en", *args], env=env)
    assert result.exit_code == 0, result.output
    if how == "neither":
        assert recorded == [] and parallel.backend_name() == "local"
    else:
        assert parallel.backend_name() == "ray"
        assert {"_setup_part", "_encrypt_chunk", "_rerandomise_chunk"} <= set(recorded)
    with out.open(encoding="utf-8-sig") as fh:
        rows = [
            ScoreRow(
                r["applicant_ref"],
                r["status"],
                Decimal(r["score"]) if r["score"] else None,
                float(r["probability"]) if r["probability"] else None,
                r["band"] or None,
            )
            for r in csv.DictReader(fh)
        ]
    reference = underwriting_reference(data)[:20]
    assert len(rows) == 20 and sum(r.status == "scored" for r in reference) > 10
    assert compare(rows, reference) == []
