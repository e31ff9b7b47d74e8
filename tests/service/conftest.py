"""Fixtures of the underwriting story over HTTP: generated data with dated
example policies, and the embedded run's scores.csv to compare with.

``policies/`` holds the examples as they are (both require the blind
lookup); ``policies-direct/`` the same allowing the direct lookup, for the
tests of the direct engine's steps. Without consent rules both engines write
the same scores.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from products.underwriting.runner import run_underwriting
from tests.policy_docs import dated_example, write_policy
from tests.service.underwriting import AS_OF
from trusted_space.demo import default_model_path
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health

# (people, seed, applicants) of a module's generated data; a module may set
# its own HEALTH (the federation modules run several jobs on smaller data).
HEALTH = (1500, 33, 100)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    out = tmp_path_factory.mktemp("http-data")
    people, seed, applicants = getattr(request.module, "HEALTH", HEALTH)
    generate_health(people, seed, out, applicants=applicants, end_date=AS_OF)
    policies = out / "policies"
    policies.mkdir()
    write_policy(policies, "hospital", dated_example("hospital"))
    write_policy(policies, "cdc", dated_example("cdc"))
    direct = out / "policies-direct"
    direct.mkdir()
    for name in ("hospital", "cdc"):
        write_policy(direct, name, dated_example(name, lookup="any"))
    return out


@pytest.fixture(scope="module")
def expected(data: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """scores.csv of the embedded run, on the direct lookup."""
    work = tmp_path_factory.mktemp("embedded")
    run_underwriting(
        workdir=work,
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        applicants=data / "applicants.csv",
        model=default_model_path(),
        as_of=AS_OF,
        out=work / "scores.csv",
        policies=sorted((data / "policies-direct").glob("*.yaml")),
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    return (work / "scores.csv").read_bytes()
