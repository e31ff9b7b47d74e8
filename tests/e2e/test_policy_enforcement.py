"""Policies enforced by a running space: denial before any provider works,
retirement, quotas that survive a restart, release transforms, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connectors.applicants import read_applicants
from connectors.base import LoadOptions
from products.underwriting.reference import reference_scores
from products.underwriting.runner import run_underwriting
from tests.policy_docs import dated_example, write_policy
from trusted_space.core.errors import PolicyDenied
from trusted_space.demo import compare, default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)


def policy_doc(name: str, **changes: Any) -> dict[str, Any]:
    return dated_example(name, **changes)


def write(tmp: Path, name: str, doc: dict[str, Any]) -> Path:
    return write_policy(tmp, name, doc)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("policy-data")
    generate_health(1200, 21, out, applicants=30, end_date=AS_OF)
    return out


class Story:
    """An embedded deployment with both providers loaded and offering."""

    def __init__(self, workdir: Path, data: Path, suite: str) -> None:
        self.dep = EmbeddedDeployment(workdir, suite=suite, paillier_preset=TEST_ONLY_PAILLIER_1024)
        self.hospital = self.dep.provider("hospital")
        self.cdc = self.dep.provider("cdc")
        self.hospital.load("csv", [data / "hospital_visits.csv"], LoadOptions(replace=True))
        self.cdc.load(
            "csv",
            [data / "cdc_case_reports.csv", data / "cdc_chronic_registry.csv"],
            LoadOptions(replace=True),
        )
        self.hospital.offer_datasets()
        self.cdc.offer_datasets()
        self.insurer = self.dep.consumer("insurer")
        self.steward = self.dep.steward(governs=["hospital", "cdc"])
        self.ids = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]

    def submit(self) -> str:
        return self.insurer.submit_lookup(
            "underwriting_score",
            self.ids,
            as_of=AS_OF,
            purpose="underwriting",
            providers={"hospital": ["hospital"], "cdc": ["cdc"]},
            model_document=default_model_path().read_bytes(),
        )

    def run(self) -> str:
        job_id = self.submit()
        self.dep.run_job(self.insurer, job_id)
        return job_id

    def provider_kinds_sent(self) -> list[str]:
        return [k for node in (self.hospital, self.cdc) for k in node.transport.sent]  # type: ignore[attr-defined]

    def close(self) -> None:
        self.dep.close()


def ledger(workdir: Path, job_id: str) -> list[dict[str, Any]]:
    import sqlite3

    db = sqlite3.connect(workdir / "space" / "space.sqlite")
    try:
        rows = db.execute(
            "SELECT entry FROM ledger WHERE job_id = ? ORDER BY seq", (job_id,)
        ).fetchall()
    finally:
        db.close()
    return [json.loads(r[0]) for r in rows]


def test_a_denied_job_makes_no_provider_do_anything(data: Path, tmp_path: Path, suite: str) -> None:
    story = Story(tmp_path / "w", data, suite)
    try:
        story.steward.publish(
            write(tmp_path, "h", policy_doc("hospital", consumers=["another-insurer"]))
        )
        story.steward.publish(write(tmp_path, "c", policy_doc("cdc")))
        before = story.provider_kinds_sent()
        with pytest.raises(PolicyDenied) as info:
            story.submit()
        assert any("consumer" in r for r in info.value.reasons)
        for node in (story.hospital, story.cdc):
            assert node.run_pending() == 0
        assert story.provider_kinds_sent() == before == ["dataset_offer"] * 2
        tasks = story.dep.space.store.db.execute("SELECT count(*) FROM tasks").fetchone()[0]
        assert tasks == 0
        denied = story.dep.space.store.db.execute(
            "SELECT job_id FROM jobs WHERE state = 'denied'"
        ).fetchall()
        entries = ledger(tmp_path / "w", denied[0][0])
        assert [e["kind"] for e in entries] == ["job_submitted", "policy_decision"]
        assert entries[1]["details"]["decision"] == "deny"
    finally:
        story.close()


def test_a_retired_policy_denies_the_next_job_and_the_last_keeps_its_version(
    data: Path, tmp_path: Path, suite: str
) -> None:
    story = Story(tmp_path / "w", data, suite)
    try:
        hospital = policy_doc("hospital")
        story.steward.publish(write(tmp_path, "h", hospital))
        story.steward.publish(write(tmp_path, "c", policy_doc("cdc")))
        first = story.run()
        decided = ledger(tmp_path / "w", first)[1]["details"]
        assert decided["decision"] == "allow"
        assert any(v.startswith("hospital-underwriting@1:") for v in decided["policy_versions"])
        story.steward.retire("hospital-underwriting")
        with pytest.raises(PolicyDenied) as info:
            story.submit()
        assert any("coverage" in r and "'hospital'" in r for r in info.value.reasons)
        assert ledger(tmp_path / "w", first)[1]["details"] == decided
        records = story.dep.space.policies.records("underwriting_score")
        assert {(r.policy.id, r.state) for r in records} == {
            ("hospital-underwriting", "retired"),
            ("cdc-underwriting", "published"),
        }
    finally:
        story.close()


def test_a_daily_quota_stays_used_up_after_a_restart(
    data: Path, tmp_path: Path, suite: str
) -> None:
    story = Story(tmp_path / "w", data, suite)
    try:
        story.steward.publish(write(tmp_path, "h", policy_doc("hospital")))
        cdc = policy_doc("cdc")
        cdc["limits"]["jobs_per_consumer_per_day"] = 1
        story.steward.publish(write(tmp_path, "c", cdc))
        story.run()
    finally:
        story.close()
    restarted = Story(tmp_path / "w", data, suite)
    try:
        with pytest.raises(PolicyDenied) as info:
            restarted.submit()
        assert any(r.startswith("jobs_per_day") and "1 of 1" in r for r in info.value.reasons)
    finally:
        restarted.close()


def test_release_transforms_reach_the_scores(data: Path, tmp_path: Path, suite: str) -> None:
    hospital = policy_doc("hospital")
    hospital["output"]["transforms"] = {"cost_12m": {"round_to": 1000}}
    policies = [write(tmp_path, "h", hospital), write(tmp_path, "c", policy_doc("cdc"))]
    run = run_underwriting(
        workdir=tmp_path / "w",
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        applicants=data / "applicants.csv",
        model=default_model_path(),
        as_of=AS_OF,
        out=None,
        policies=policies,
        paillier_preset=TEST_ONLY_PAILLIER_1024,
        suite=suite,
    )
    common = dict(
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
        applicants=data / "applicants.csv",
        as_of=AS_OF,
        model=default_model_path(),
    )
    rounded = reference_scores(**common, transforms={"cost_12m": {"round_to": 1000}})  # type: ignore[arg-type]
    exact = reference_scores(**common)  # type: ignore[arg-type]
    assert compare(run.rows, rounded) == []
    assert compare(run.rows, exact) != [], "rounding should change some scores"
    assert run.duties == {"retention_days": 14}


def test_underwrite_cli_denied_prints_reasons_and_writes_nothing(
    data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.csv"
    hospital = write(tmp_path, "h", policy_doc("hospital", purposes=["claims"]))
    cdc = write(tmp_path, "c", policy_doc("cdc"))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "tspace"),
            "--lang",
            "en",
            "underwrite",
            "--hospital",
            str(data / "hospital_visits.csv"),
            "--cdc-reports",
            str(data / "cdc_case_reports.csv"),
            "--cdc-registry",
            str(data / "cdc_chronic_registry.csv"),
            "--applicants",
            str(data / "applicants.csv"),
            "--model",
            str(default_model_path()),
            "--as-of",
            AS_OF.isoformat(),
            "--out",
            str(out),
            "--policy",
            str(hospital),
            "--policy",
            str(cdc),
            "--consumer",
            "insurer",
            "--purpose",
            "underwriting",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert (
        "Denied by policy" in result.stderr
        and "purpose 'underwriting' is not among" in result.stderr
    )
    assert not out.exists()
