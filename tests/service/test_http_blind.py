"""The blind lookup over HTTP with pull-only nodes: the space, two provider
nodes and the insurer's client as separate processes on 127.0.0.1, under the
example policies (both require the blind lookup, so ``tspace client
underwrite`` runs blind without being told).

The space's request body limit is set far below the providers' population
uploads (as 64 MiB is below a million people's) and below the insurer's
mask removals: those results go in parts. Every score must equal the
plaintext reference, and the scores.csv the embedded direct run writes."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from products.underwriting.reference import reference_scores
from tests.cli_runner import run_tspace
from tests.service.procs import ServiceDeployment
from tests.service.underwriting import AS_OF
from trusted_space.demo import default_model_path

pytestmark = pytest.mark.slow
LIMIT = 32 * 1024  # TSPACE_MAX_BODY_BYTES of this space: below the results of 100 applicants


@pytest.fixture()
def deployment(tmp_path: Path, data: Path, suite: str) -> Iterator[ServiceDeployment]:
    dep = ServiceDeployment(
        tmp_path,
        {
            "hospital": [f"{data}/hospital_visits.csv"],
            "cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"],
        },
        ["insurer"],
        suite=suite,
        record=True,
        space_env={"TSPACE_MAX_BODY_BYTES": str(LIMIT)},
    )
    dep.steward("publish-model", str(default_model_path()))
    dep.steward("publish-policy", *map(str, sorted((data / "policies").glob("*.yaml"))))
    yield dep
    dep.stop()


def underwrite(dep: ServiceDeployment, data: Path, out: Path, *extra: str) -> tuple[int, str]:
    client = dep.client(
        "insurer",
        "underwrite",
        *("--applicants", str(data / "applicants.csv")),
        *("--purpose", "underwriting", "--as-of", AS_OF.isoformat()),
        *("--out", str(out)),
        *extra,
    )
    code = client.proc.wait(timeout=600)
    return code, client.text()


def ledger(dep: ServiceDeployment) -> list[dict[str, object]]:
    return [json.loads(str(r[0])) for r in dep.db_rows("SELECT entry FROM ledger ORDER BY seq")]


def test_blind_underwriting_over_http_equals_the_reference(
    deployment: ServiceDeployment, data: Path, expected: bytes, tmp_path: Path
) -> None:
    dep = deployment
    out = tmp_path / "scores.csv"
    code, text = underwrite(dep, data, out)
    assert code == 0, text
    assert "blind lookup: scores only" in text

    transforms = yaml.safe_load((data / "policies" / "hospital.yaml").read_text("utf-8"))["output"][
        "transforms"
    ]
    reference = reference_scores(
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
        applicants=data / "applicants.csv",
        as_of=AS_OF,
        model=default_model_path(),
        transforms=transforms,
    )
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["applicant_ref"] for r in rows] == [r.applicant_ref for r in reference]
    assert sum(r.status == "scored" for r in reference) > 80  # most of the 100
    for row, ref in zip(rows, reference, strict=True):
        assert (row["status"], row["band"] or None) == (ref.status, ref.band), row
        if ref.score is not None:
            assert abs(Decimal(row["score"]) - ref.score) < Decimal("1e-6"), row
    # The same file as the direct lookup's embedded run: the engine changes
    # what the insurer learns, not what it gets.
    assert out.read_bytes() == expected

    entries = ledger(dep)
    engines = {
        str(e["kind"]): e["details"]["engine"]  # type: ignore[index]
        for e in entries
        if e["kind"] in ("job_submitted", "policy_decision")
    }
    assert engines == {"job_submitted": "blind_lookup", "policy_decision": "blind_lookup"}
    steps = sorted(
        (str(e["actor"]), str(e["details"]["result"]))  # type: ignore[index]
        for e in entries
        if e["kind"] == "task_result"
    )
    assert steps == [
        ("cdc", "blind_evaluated"),
        ("hospital", "blind_evaluated"),
        ("insurer", "ack"),
        ("insurer", "blind_masks"),
    ]
    # No entry and no status names a match count (the space keeps them).
    assert not any("matched" in json.dumps(e["details"]) for e in entries)

    # The large results went in parts, every part taken, none refused for size.
    assert dep.recorder is not None
    calls = dep.recorder.responses
    assert not [c for c in calls if c[1] == 413]
    parts = [c for c in calls if c[0].startswith("PUT /v1/tasks/") and c[0].endswith("/parts")]
    assert parts and all(status == 200 for _, status, _ in parts)
    owners = {
        str(r[0]): (str(r[1]), str(r[2]))
        for r in dep.db_rows("SELECT task_id, node, kind FROM tasks")
    }
    parted = {owners[path.split("/")[3]] for path, _, _ in parts}
    assert ("hospital", "blind_evaluate") in parted  # its population's tokens and upload
    assert ("insurer", "blind_finish") in parted  # its mask removals
    held = dep.db_rows(
        "SELECT sum(length(value)) FROM blind_cache WHERE provider = 'hospital' "
        "AND (key LIKE 'tokens/%' OR key LIKE 'upload/%')"
    )
    assert int(str(held[0][0])) > LIMIT  # more than one request could carry
    assert dep.db_rows("SELECT count(*) FROM task_parts") == [(0,)]

    verified = run_tspace("ledger", "verify", "--workdir", str(dep.db_path.parent.parent))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Ledger intact" in verified.stdout, verified.stdout

    # Asked for the direct lookup, the same insurer is denied: the policies
    # require blind, and the reason says so.
    denied = tmp_path / "direct.csv"
    code, text = underwrite(dep, data, denied, "--engine", "direct_lookup")
    assert code == 2, text
    assert "requires the blind lookup" in text and not denied.exists()


def test_the_engine_route_says_what_the_policies_choose(tmp_path: Path) -> None:
    """GET /v1/products/{product}/engine: the blind lookup as soon as one
    owner taking part requires it; every owner when no provider is named."""
    from fastapi.testclient import TestClient

    from tests.policy_docs import dated_example
    from tests.stewards import add_steward
    from trusted_space.service.app import create_app
    from trusted_space.service.settings import ServiceSettings

    app = create_app(ServiceSettings(workdir=tmp_path / "svc"))
    space = app.state.space
    add_steward(space, "steward", ["hospital", "cdc"])  # appointed by both owners
    key = space.add_participant(None, "insurer", "consumer")
    space.publish_policy("steward", yaml.safe_dump(dated_example("hospital", lookup="any")))
    space.publish_policy("steward", yaml.safe_dump(dated_example("cdc")))  # requires blind
    with TestClient(app) as client:

        def engine(providers: str | None) -> dict[str, object]:
            params = {} if providers is None else {"providers": providers}
            r = client.get(
                "/v1/products/underwriting_score/engine",
                params=params,
                headers={"Authorization": f"Bearer {key}"},
            )
            assert r.status_code == 200, r.text
            body: dict[str, object] = r.json()
            return body

        both = engine("hospital=hospital;cdc=cdc")
        assert both["engine"] == "blind_lookup" and both["required_by"] == ["cdc-underwriting"]
        assert "要求盲查" in str(both["why_zh"]) and "require the blind lookup" in str(
            both["why_en"]
        )
        assert engine("hospital=hospital")["engine"] == "direct_lookup"
        assert engine(None)["engine"] == "blind_lookup"
        bad = client.get(
            "/v1/products/underwriting_score/engine",
            params={"providers": "hospital"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert bad.status_code == 422
        unknown = client.get(
            "/v1/products/no_such_product/engine", headers={"Authorization": f"Bearer {key}"}
        )
        assert unknown.status_code == 404
