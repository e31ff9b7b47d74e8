"""Leak tests: canary subjects with unique ids, names, record ids and amounts
are planted at every provider (hospital, CDC, both trading centres) and asked
about by every product, on both transports. Afterwards none may appear in any
file under the space's folder (raw bytes, hex, base64, and every value of
every table of its database, the ledger included), in any log line at any
level of any party, or in any HTTP response to any party. They may appear
only in the providers' own nodes, which the checks confirm (so a check can
fail). Every check runs under each crypto suite (the ``suite`` fixture)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from products.cohort.runner import run_cohort
from products.lending.runner import run_lending
from products.overlap.reference import reference_overlap
from products.underwriting.runner import run_underwriting
from tests import canaries
from tests.leakcheck import duckdb_text, encodings, find_canaries, find_in_text, sqlite_text
from tests.policy_docs import dated, dated_example, exact_overlap_policy
from tests.service.procs import Proc, ServiceDeployment
from trusted_space.demo import default_model_path
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health, generate_tenders

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 10, 31)
NEEDLES = [*canaries.HEALTH_NEEDLES, *canaries.TENDER_NEEDLES]
QUERY = {
    "hospital": {"cohort": "inpatients", "from": "2026-01-01", "to": "2026-06-30"},
    "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
    "measures": ["count", "sum_cost"],
    "group_by": ["age_band"],
    "min_count": 0,
    "dp": {"epsilon": 1.0},
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leak-data")
    generate_health(600, 41, root / "health", applicants=12, end_date=AS_OF)
    canaries.plant_health(root / "health")
    generate_tenders(150, 43, root / "tenders", applicants=10, end_date=AS_OF)
    canaries.plant_tenders(root / "tenders")
    policies = root / "policies"
    policies.mkdir()
    docs = {
        "uw-hospital": dated_example("hospital"),
        "uw-cdc": dated_example("cdc"),
        "centres": dated("tender_lending_features.centres.yaml"),
        "cohort-hospital": dated("cohort_statistics.hospital.yaml"),
        "cohort-cdc": dated("cohort_statistics.cdc.yaml"),
        # exact, so the count over HTTP can equal the reference
        "overlap-hospital": exact_overlap_policy("hospital", 2),
        "overlap-cdc": exact_overlap_policy("cdc", 2),
    }
    for name, doc in docs.items():
        (policies / f"{name}.yaml").write_text(
            yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8"
        )
    (root / "query.yaml").write_text(yaml.safe_dump(QUERY), encoding="utf-8")
    return root


def policy(data: Path, *names: str) -> list[Path]:
    return [data / "policies" / f"{n}.yaml" for n in names]


def assert_no_canary(space_dir: Path, lines: list[str], responses: list[bytes]) -> None:
    assert (space_dir / "space.sqlite").exists()
    assert find_canaries(space_dir, NEEDLES) == []
    assert find_in_text(sqlite_text(space_dir / "space.sqlite"), NEEDLES) == []
    assert lines, "the parties log their steps"
    assert find_in_text(lines, NEEDLES) == []
    hits = [
        (n, form)
        for body in responses
        for n in NEEDLES
        for form, pattern in encodings(n).items()
        if pattern in body
    ]
    assert hits == []


def assert_canaries_took_part(nodes: Path, scores: Path, features: Path) -> None:
    """The checks above can fail: the providers' own nodes hold every canary,
    and the consumers' outputs show the canaries were matched."""
    held = {
        "hospital": duckdb_text(
            nodes / "hospital" / "node.duckdb", "SELECT * FROM hospital_visits"
        ),
        "cdc": duckdb_text(nodes / "cdc" / "node.duckdb", "SELECT * FROM cdc_case_reports"),
        "centre_a": duckdb_text(nodes / "centre_a" / "node.duckdb", "SELECT * FROM tender_bids"),
        "centre_b": duckdb_text(nodes / "centre_b" / "node.duckdb", "SELECT * FROM tender_bids"),
    }
    assert find_in_text(held["hospital"], [canaries.PERSON, canaries.VISITS[0]]) != []
    assert find_in_text(held["cdc"], [canaries.REPORT]) != []
    assert find_in_text(held["centre_a"], [canaries.AMOUNTS[0]]) != []
    assert find_in_text(held["centre_b"], [canaries.AMOUNTS[1]]) != []
    with scores.open(encoding="utf-8-sig") as fh:
        rows = {r["applicant_ref"]: r for r in csv.DictReader(fh)}
    assert rows["CANARY-APP"]["status"] == "scored"
    with features.open(encoding="utf-8-sig") as fh:
        found = {r["company_ref"]: r["status"] for r in csv.DictReader(fh)}
    assert found["CANARY-LOAN-A"] == found["CANARY-LOAN-B"] == "found"


# -- embedded ----------------------------------------------------------------------------


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def embedded(
    data: Path, tmp_path_factory: pytest.TempPathFactory, suite: str
) -> Iterator[tuple[Path, list[str]]]:
    work = tmp_path_factory.mktemp("leak-embedded")
    handler = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    health, tenders = data / "health", data / "tenders"
    try:
        run_underwriting(
            workdir=work / "uw",
            hospital=[health / "hospital_visits.csv"],
            cdc_reports=[health / "cdc_case_reports.csv"],
            cdc_registry=[health / "cdc_chronic_registry.csv"],
            applicants=health / "applicants.csv",
            model=default_model_path(),
            as_of=AS_OF,
            out=work / "scores.csv",
            policies=policy(data, "uw-hospital", "uw-cdc"),
            paillier_preset=TEST_ONLY_PAILLIER_1024,
            suite=suite,
        )
        run_lending(
            workdir=work / "lend",
            tenders=[tenders / "centre_a", tenders / "centre_b"],
            applicants=tenders / "bank_applicants.csv",
            as_of=AS_OF,
            out=work / "features.csv",
            policies=policy(data, "centres"),
            paillier_preset=TEST_ONLY_PAILLIER_1024,
            suite=suite,
        )
        run_cohort(
            workdir=work / "cohort",
            hospital=[health / "hospital_visits.csv"],
            cdc_reports=[health / "cdc_case_reports.csv"],
            cdc_registry=[health / "cdc_chronic_registry.csv"],
            query=data / "query.yaml",
            out=work / "result.csv",
            policies=policy(data, "cohort-hospital", "cohort-cdc"),
            paillier_preset=TEST_ONLY_PAILLIER_1024,
            suite=suite,
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    yield work, handler.lines


@pytest.mark.parametrize("product", ["uw", "lend", "cohort"])
def test_embedded_no_canary_leaves_its_provider(
    embedded: tuple[Path, list[str]], product: str
) -> None:
    work, lines = embedded
    assert_no_canary(work / product / "space", lines, [])


def test_embedded_canaries_took_part(embedded: tuple[Path, list[str]]) -> None:
    work, _ = embedded
    nodes = {
        "hospital": work / "uw",
        "cdc": work / "uw",
        "centre_a": work / "lend",
        "centre_b": work / "lend",
    }
    merged = work / "nodes-view"
    merged.mkdir(exist_ok=True)
    for name, base in nodes.items():
        link = merged / name
        if not link.exists():
            link.symlink_to(base / "nodes" / name)
    assert_canaries_took_part(merged, work / "scores.csv", work / "features.csv")


# -- over HTTP ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def over_http(
    data: Path, tmp_path_factory: pytest.TempPathFactory, suite: str
) -> Iterator[tuple[ServiceDeployment, Path]]:
    root = tmp_path_factory.mktemp("leak-http")
    health, tenders = data / "health", data / "tenders"
    dep = ServiceDeployment(
        root,
        {
            "hospital": [f"{health}/hospital_visits.csv"],
            "cdc": [f"{health}/cdc_case_reports.csv", f"{health}/cdc_chronic_registry.csv"],
            "centre_a": [f"ocds:{tenders}/centre_a"],
            "centre_b": [f"ocds:{tenders}/centre_b"],
        },
        ["insurer", "bank", "analyst"],
        record=True,
        verbose=True,
        suite=suite,
    )
    try:
        dep.steward("publish-model", str(default_model_path()))
        dep.steward("publish-policy", *map(str, sorted((data / "policies").glob("*.yaml"))))
        runs = [
            dep.client(
                "insurer",
                "underwrite",
                "--applicants",
                str(health / "applicants.csv"),
                "--purpose",
                "underwriting",
                "--as-of",
                AS_OF.isoformat(),
                "--out",
                str(root / "scores.csv"),
            ),
            dep.client(
                "bank",
                "lend",
                "--applicants",
                str(tenders / "bank_applicants.csv"),
                "--purpose",
                "credit",
                "--as-of",
                AS_OF.isoformat(),
                "--out",
                str(root / "features.csv"),
            ),
            dep.client(
                "analyst",
                "cohort",
                "--query",
                str(data / "query.yaml"),
                "--purpose",
                "research",
                "--out",
                str(root / "result.csv"),
            ),
        ]
        for run in runs:
            assert run.proc.wait(timeout=300) == 0, run.text()
        # The overlap count between the hospital's and the CDC's nodes, by the
        # analyst (its node folder again, now that its cohort job is done).
        overlap = Proc(
            root / "client-analyst-overlap.log",
            "overlap",
            "--space",
            dep.via,
            "--api-key-file",
            str(dep.keys["analyst"]),
            "--workdir",
            str(root / "clients" / "analyst"),
            "--purpose",
            "research",
            "--json",
            env=dep.env,
        )
        dep.clients.append(overlap)
        assert overlap.proc.wait(timeout=300) == 0, overlap.log.read_text()
        (root / "overlap.json").write_text(
            overlap.log.read_text().strip().splitlines()[-1], encoding="utf-8"
        )
    finally:
        dep.stop()  # every process ends: their logs are complete, their files closed
    yield dep, root


def test_http_no_canary_in_files_logs_responses_or_ledger(
    over_http: tuple[ServiceDeployment, Path],
) -> None:
    dep, _ = over_http
    assert dep.recorder is not None
    responses = dep.recorder.bodies()
    assert len(responses) > 50, "every party's traffic went through the recorder"
    lines = dep.logs().splitlines()
    assert any("DEBUG" in line for line in lines), "nodes log at DEBUG level"
    assert_no_canary(dep.db_path.parent, lines, responses)


def test_http_canaries_took_part(over_http: tuple[ServiceDeployment, Path]) -> None:
    _, root = over_http
    assert_canaries_took_part(root / "nodes", root / "scores.csv", root / "features.csv")


def test_http_overlap_between_two_nodes_equals_the_plaintext_reference(
    over_http: tuple[ServiceDeployment, Path], data: Path
) -> None:
    """`tspace overlap` over the space between the hospital's and the CDC's
    nodes (issue 22, item 13): the count equals DuckDB's, the canary (held by
    both) among the people counted; the test above finds no identifier in
    what the space stores, logs or returns, this job's traffic included."""
    dep, root = over_http
    health = data / "health"
    result = json.loads((root / "overlap.json").read_text(encoding="utf-8"))
    expected = reference_overlap(
        [health / "hospital_visits.csv"],
        [health / "cdc_case_reports.csv", health / "cdc_chronic_registry.csv"],
    )
    assert (result["status"], result["overlap"]) == ("ok", expected)
    assert expected > 2
    entries = [
        json.loads(str(r[0]))
        for r in dep.db_rows(f"SELECT entry FROM ledger WHERE job_id = '{result['job_id']}'")
    ]
    kinds = [e["kind"] for e in entries]
    for step in ("overlap_requested", "overlap_responded", "overlap_counted", "result_released"):
        assert step in kinds, kinds
    # each provider did its own half: the CDC asked and counted, the hospital answered
    actors = {e["kind"]: e["actor"] for e in entries}
    assert (actors["overlap_requested"], actors["overlap_responded"]) == ("cdc", "hospital")
