"""Cohort statistics across hospital and CDC: the space-aided join.

With DP off and min_count 0 the private cells equal a plain DuckDB join of
the same CSV files; with min_count k every cell under k is suppressed; the DP
noise added under encryption has the configured scale; a spent budget
denies; the space's storage holds only tokens and ciphertexts.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
import statistics
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.identifiers import resident_id_check_char
from products.cohort.layout import build_layout
from products.cohort.noise import noise_lines, noisy_cells
from products.cohort.query import load_query, parse_query
from products.cohort.reference import reference_cells
from products.cohort.runner import run_cohort
from tests.leakcheck import duckdb_text, find_canaries, find_in_text, sqlite_text
from trusted_space.core.errors import PolicyDenied
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024, generate_keypair
from trusted_space.overlap import overlap, read_ids
from trusted_space.space.dp import discrete_laplace_variance, split_epsilon
from trusted_space.space.engines.join import add_noise, noise_scale
from trusted_space.synth import generate_health

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 10, 31)
CANARY = "650102198808087" + "79"
CANARY += resident_id_check_char(CANARY[:17])
CANARY_COST = "98765.43"

QUERIES = {
    "inpatients_diabetes_by_sex": {
        "hospital": {"cohort": "inpatients", "from": "2026-01-01", "to": "2026-06-30"},
        "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
        "measures": ["count", "sum_cost", "sum_inpatient_days"],
        "group_by": ["sex"],
    },
    "chronic_dx_reports_by_age_and_sex": {
        "hospital": {
            "cohort": "icd10_visits",
            "codes": "E10-E14,I10-I15",
            "from": "2025-01-01",
            "to": "2026-06-30",
        },
        "cdc": {
            "cohort": "confirmed_reports",
            "codes": "A00-B99",
            "from": "2020-01-01",
            "to": "2026-10-31",
        },
        "measures": ["count", "sum_cost", "count_reports"],
        "group_by": ["age_band", "sex"],
    },
    "hypertension_by_hospital_and_month": {
        "hospital": {"cohort": "inpatients", "from": "2026-01-01", "to": "2026-04-30"},
        "cdc": {"cohort": "chronic_registry", "condition": "hypertension"},
        "measures": ["count", "sum_inpatient_days"],
        "group_by": ["hospital_id", "month"],
    },
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("health")
    generate_health(6000, 5, out, applicants=10, end_date=AS_OF)
    with (out / "hospital_visits.csv").open("a", encoding="utf-8") as fh:
        fh.write(
            f"{CANARY},CANARY-V1,H310104001,2026-03-01,inpatient,2026-03-05,E11.9,{CANARY_COST}\n"
        )
    with (out / "cdc_chronic_registry.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{CANARY},diabetes,2019-05-01\n")
    return out


def write_query(folder: Path, name: str, **changes: Any) -> Path:
    doc = {**QUERIES[name], **changes}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def run(data: Path, workdir: Path, query: Path, **kw: Any):  # type: ignore[no-untyped-def]
    return run_cohort(
        workdir=workdir,
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        query=query,
        out=workdir / "result.csv",
        paillier_preset=TEST_ONLY_PAILLIER_1024,
        **kw,
    )


def reference(data: Path, query: Path) -> list[dict[str, Any]]:
    return reference_cells(
        load_query(query),
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
    )


@pytest.mark.parametrize("name", list(QUERIES))
def test_without_dp_or_suppression_the_cells_equal_a_plain_join(
    data: Path, tmp_path: Path, name: str, suite: str
) -> None:
    query = write_query(tmp_path, name, min_count=0)
    result = run(data, tmp_path / "w", query, suite=suite)
    expected = reference(data, query)
    assert [{k: v for k, v in r.items() if k != "status"} for r in result.rows] == expected
    assert sum(r["count"] for r in expected) > 0, "the generated cohorts overlap"
    assert {r["status"] for r in result.rows} == {"ok"}


def test_cells_under_min_count_are_suppressed_never_zero(data: Path, tmp_path: Path) -> None:
    query = write_query(tmp_path, "chronic_dx_reports_by_age_and_sex", min_count=2)
    result = run(data, tmp_path / "w", query)
    expected = reference(data, query)
    small = [e["count"] < 2 for e in expected]
    assert any(small) and not all(small), "the test needs cells on both sides of min_count"
    for row, ref, is_small in zip(result.rows, expected, small, strict=True):
        if is_small:
            assert row["status"] == "suppressed"
            assert all(row[v] is None for v in ("count", "sum_cost", "count_reports"))
        else:
            assert row["status"] == "ok" and {k: row[k] for k in ref} == ref
    with (tmp_path / "w" / "result.csv").open(encoding="utf-8-sig") as fh:
        suppressed = [r for r in csv.DictReader(fh) if r["status"] == "suppressed"]
    assert suppressed and all(r["count"] == "" and r["sum_cost"] == "" for r in suppressed)


def test_noise_scale_matches_epsilon_over_300_runs() -> None:
    """The space's own noise path (encrypt, add, decrypt), seeded."""
    query = parse_query({**QUERIES["inpatients_diabetes_by_sex"], "dp": {"epsilon": 0.9}})
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    layout = build_layout(query, [], pk.bits)
    truth = list(range(100, 100 + layout.n_slots))
    clean = [pk.encrypt(v) for v in truth]
    rng = random.Random(20261126)
    noise: dict[str, list[int]] = {v: [] for v in layout.values}
    for _ in range(300):
        for slot, c in enumerate(add_noise(pk, clean, layout, query, rng)):
            noise[layout.values[slot % len(layout.values)]].append(sk.decrypt(c) - truth[slot])
    # Grouped by sex, one person reaches one cell: each measure's sensitivity
    # is its clip (docs/cohort.md), and 0.9 splits into 0.3 per measure. The
    # variance of P(k) ∝ a^|k| with a = exp(-epsilon / sensitivity) is
    # 2a / (1 - a)^2, written out here rather than taken from trusted_space.
    by_hand = {"count": 1, "sum_cost": 10_000_000, "sum_inpatient_days": 366}
    assert {k: s for k, (_, s) in noise_scale(query, layout).items()} == by_hand
    for name, sensitivity in by_hand.items():
        a = math.exp(-0.3 / sensitivity)
        expected = 2 * a / (1 - a) ** 2
        observed = statistics.pvariance(noise[name])
        # 600 draws: the variance estimate's relative standard error is about
        # sqrt((kurtosis - 1) / n) = sqrt(5 / 600) ~ 0.09; allow 4 of them.
        assert abs(observed / expected - 1) < 0.36, (name, observed, expected)
        assert abs(statistics.mean(noise[name])) < 4 * (expected / 600) ** 0.5


def test_dp_reports_the_budget_and_a_spent_budget_denies(data: Path, tmp_path: Path) -> None:
    today = dt.date.today()
    policies = []
    for name in ("hospital", "cdc"):
        doc = yaml.safe_load(
            (ROOT / "policies" / "examples" / f"cohort_statistics.{name}.yaml").read_text("utf-8")
        )
        doc["valid_from"], doc["valid_until"] = (
            str(today - dt.timedelta(days=1)),
            str(today + dt.timedelta(days=30)),
        )
        doc["output"]["min_count"] = 0
        doc["privacy"]["budget_per_consumer"] = {"epsilon": 1.5, "period": "month"}
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        policies.append(path)
    query = write_query(tmp_path, "inpatients_diabetes_by_sex", dp={"epsilon": 1.0})
    result = run(data, tmp_path / "w", query, policies=policies)
    share = split_epsilon(1.0, 3)[0]  # three values, sex is a person-level dimension
    sd = {
        name: round(math.sqrt(discrete_laplace_variance(share, sensitivity)), 3)
        for name, sensitivity in (
            ("count", 1),
            ("sum_cost", 10_000_000),
            ("sum_inpatient_days", 366),
        )
    }
    assert result.privacy == {
        "epsilon": 1.0,
        "budget": 1.5,
        "period": "month",
        "spent": 1.0,
        "remaining": 0.5,
        "noise_sd": sd,
    }
    # The cost noise (sd ~ 424,000 yuan) is printed; a warning per value that
    # some released cell is smaller than its noise (which cells: the noise's draw).
    lines = noise_lines(result.rows, result.privacy)
    assert "sum_cost ≈ 424,264.07" in lines[0] and "count ≈ " in lines[0]
    small = [name for name, (n, _) in noisy_cells(result.rows, result.privacy).items() if n]
    assert len(lines) == 1 + len(small) and all(
        n in w for n, w in zip(small, lines[1:], strict=True)
    )
    assert all(r["status"] == "suppressed" or r["count"] is not None for r in result.rows)
    with pytest.raises(PolicyDenied) as info:
        run(data, tmp_path / "w", query, policies=policies)
    assert any(r.startswith("privacy_budget") for r in info.value.reasons)


def test_the_space_holds_only_tokens_and_ciphertexts(data: Path, tmp_path: Path) -> None:
    query = write_query(tmp_path, "inpatients_diabetes_by_sex", min_count=0)
    result = run(data, tmp_path / "w", query)
    assert sum(r["count"] for r in result.rows) > 0
    needles = [CANARY, "CANARY-V1", CANARY_COST]
    assert find_canaries(tmp_path / "w" / "space", needles) == []
    assert find_in_text(sqlite_text(tmp_path / "w" / "space" / "space.sqlite"), needles) == []
    # The checks can fail: the hospital's own node holds the canary.
    held = duckdb_text(
        tmp_path / "w" / "nodes" / "hospital" / "node.duckdb",
        "SELECT person_id, visit_id FROM hospital_visits",
    )
    assert find_in_text(held, needles) != []


def test_psi_cardinality_overlap_equals_the_plain_intersection(data: Path) -> None:
    a = read_ids(data / "cdc_chronic_registry.csv", "person_id")
    b = read_ids(data / "hospital_visits.csv", "person_id")
    assert overlap(a.ids, b.ids) == len(set(a.ids) & set(b.ids)) > 0


@pytest.mark.parametrize(
    ("name", "k", "around"),
    [
        # cells of 6 and 8 people (the canary is one of them): k = 7 puts
        # one at k - 1 and one at k + 1, k = 8 one at k
        ("inpatients_diabetes_by_sex", 7, (6, 8)),
        ("inpatients_diabetes_by_sex", 8, (6, 8)),
        # cells at 1 (k - 1) and 2 (k)
        ("hypertension_by_hospital_and_month", 2, (1, 2)),
    ],
)
def test_min_count_keeps_k_and_above_and_suppresses_k_minus_one(
    data: Path, tmp_path: Path, name: str, k: int, around: tuple[int, ...]
) -> None:
    """The threshold's edge: a cell of exactly k people is released, one of
    k - 1 is suppressed, one of k + 1 is released."""
    query = write_query(tmp_path, name, min_count=k)
    expected = reference(data, query)
    counts = {e["count"] for e in expected}
    assert set(around) <= counts, f"the generated data must have cells of {around}: {counts}"
    result = run(data, tmp_path / "w", query)
    for row, ref in zip(result.rows, expected, strict=True):
        if ref["count"] >= k:
            assert row["status"] == "ok" and row["count"] == ref["count"], (ref, row)
        else:
            assert row["status"] == "suppressed" and row["count"] is None, (ref, row)
