"""Concurrent jobs against a real server: several underwriting clients, each
its own process with its own batch, run at once; every one's scores equal
the plaintext DuckDB reference of its own batch (a job answered with another
job's subjects or values would not)."""

from __future__ import annotations

import csv
import signal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from products.underwriting.reference import reference_scores
from products.underwriting.runner import ScoreRow
from tests.policy_docs import dated_example, write_policy
from tests.service.procs import Proc, ServiceDeployment
from tests.service.underwriting import AS_OF
from trusted_space.demo import compare, default_model_path

pytestmark = pytest.mark.slow
CLIENTS = 3


CONSUMERS = [f"insurer{i}" for i in range(CLIENTS)]


@pytest.fixture()
def deployment(tmp_path: Path, data: Path) -> Iterator[ServiceDeployment]:
    """The underwriting deployment with three insurers, each its own
    participant (its own keys), under policies that name all three."""
    dep = ServiceDeployment(
        tmp_path,
        {
            "hospital": [f"{data}/hospital_visits.csv"],
            "cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"],
        },
        CONSUMERS,
    )
    policies = tmp_path / "policies"
    policies.mkdir()
    for role in ("hospital", "cdc"):
        write_policy(policies, role, {**dated_example(role), "consumers": CONSUMERS})
    dep.steward("publish-model", str(default_model_path()))
    dep.steward("publish-policy", *map(str, sorted(policies.glob("*.yaml"))))
    yield dep
    dep.stop()


def split(applicants: Path, out: Path, parts: int) -> list[Path]:
    """Deal the batch into ``parts`` batches of different sizes and subjects."""
    with applicants.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    batches = [rows[i::parts][: 40 + 25 * i] for i in range(parts)]
    paths = []
    for i, batch in enumerate(batches):
        path = out / f"batch-{i}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(batch)
        paths.append(path)
    return paths


def read_scores(path: Path) -> list[ScoreRow]:
    with path.open(encoding="utf-8-sig") as fh:
        return [
            ScoreRow(
                r["applicant_ref"],
                r["status"],
                Decimal(r["score"]) if r["score"] else None,
                float(r["probability"]) if r["probability"] else None,
                r["band"] or None,
            )
            for r in csv.DictReader(fh)
        ]


def test_concurrent_jobs_each_equal_their_reference(
    deployment: ServiceDeployment, data: Path
) -> None:
    dep = deployment
    batches = split(data / "applicants.csv", dep.root, CLIENTS)
    transforms: dict[str, Any] = {}  # the release transforms the policies set
    for policy in sorted((dep.root / "policies").glob("*.yaml")):
        transforms |= yaml.safe_load(policy.read_text(encoding="utf-8"))["output"].get(
            "transforms", {}
        )
    assert transforms, "the policies round a feature: the reference must apply it too"
    runs: list[tuple[Proc, Path, Path]] = []
    # The hospital waits until every job is in: the jobs certainly overlap.
    hospital = dep.nodes["hospital"]
    hospital.proc.send_signal(signal.SIGSTOP)
    for i, batch in enumerate(batches):
        out = dep.root / f"scores-{i}.csv"
        proc = Proc(
            dep.root / f"client-{i}.log",
            "client",
            "underwrite",
            *("--space", dep.via),
            *("--api-key-file", str(dep.keys[CONSUMERS[i]])),
            *("--workdir", str(dep.root / "clients" / CONSUMERS[i])),
            *("--applicants", str(batch)),
            *("--purpose", "underwriting"),
            *("--as-of", AS_OF.isoformat()),
            *("--out", str(out)),
            env=dep.env,
        )
        dep.clients.append(proc)
        runs.append((proc, batch, out))
    try:
        dep.wait_for(f"SELECT count(*) FROM jobs HAVING count(*) = {CLIENTS}")
    finally:
        hospital.proc.send_signal(signal.SIGCONT)
    for proc, batch, out in runs:
        assert proc.proc.wait(timeout=600) == 0, proc.text()
        reference = reference_scores(
            hospital=data / "hospital_visits.csv",
            reports=data / "cdc_case_reports.csv",
            registry=data / "cdc_chronic_registry.csv",
            applicants=batch,
            as_of=AS_OF,
            model=default_model_path(),
            transforms=transforms,
        )
        assert compare(read_scores(out), reference) == [], batch.name
        assert sum(r.status == "scored" for r in reference) > 30
    states = dep.db_rows("SELECT state FROM jobs")
    assert states == [("succeeded",)] * CLIENTS
    [(last_in, first_done)] = dep.db_rows("SELECT max(created_at), min(updated_at) FROM jobs")
    assert str(last_in) < str(first_done), "every job was in flight at once"
