"""A job across two spaces, each a real ``tspace serve`` with its own nodes
on 127.0.0.1 (issue 26, federation item 3): city A hosts the hospital and
the insurer, city B the CDC. The insurer's underwriting job at A runs the
CDC's part at B, under B's stewards' policy, and writes the same scores.csv
as one space holding both providers (the embedded run). B's denial reaches
the insurer with B's reason; a peer that stays down fails the job with
``peer_unavailable``; either space killed mid-job and restarted, the job
still finishes. Both ledgers cross-reference each job and verify.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from products.underwriting.reference import reference_scores
from tests.cli_runner import run_tspace_wide as tspace
from tests.leakcheck import find_canaries, find_in_text, sqlite_text
from tests.policy_docs import dated_example, write_policy
from tests.service.procs import ServiceDeployment, wait_healthy
from tests.service.underwriting import AS_OF
from trusted_space.demo import default_model_path
from trusted_space.space.readonly import ledger_entries, space_public_key

pytestmark = pytest.mark.slow


# The story's data, smaller: this module runs several jobs on two
# deployments (tests/service/conftest.py's data and expected fixtures).
HEALTH = (900, 26, 40)


class Cities:
    """City A (hospital, insurer) and city B (CDC), peered for underwriting."""

    def __init__(self, root: Path, data: Path) -> None:
        patience = {"TSPACE_PEER_PATIENCE_SECONDS": "20"}
        (root / "a").mkdir()
        (root / "b").mkdir()
        self.a = ServiceDeployment(
            root / "a",
            {"hospital": [f"{data}/hospital_visits.csv"]},
            ["insurer"],
            space_env=patience,
        )
        self.b = ServiceDeployment(
            root / "b",
            {"cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"]},
            [],
            space_env=patience,
        )
        self.root, self.data = root, data
        for city, owner in ((self.a, "hospital"), (self.b, "cdc")):
            city.steward("publish-model", str(default_model_path()))
            city.steward("publish-policy", str(data / "policies-direct" / f"{owner}.yaml"))
        agreement = root / "agreement.json"
        self.key_a = space_public_key(self.a.root / "space").hex()
        self.key_b = space_public_key(self.b.root / "space").hex()
        done = tspace(
            "admin", "draft-agreement", "--workdir", str(self.a.root / "space"),
            "--peer-key", self.key_b, "--product", "underwriting_score",
            "--steward", "steward", "--peer-steward", "steward", "--out", str(agreement),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        for city in (self.a, self.b):
            city.steward("approve-agreement", str(agreement))
        for here, name, there, key in (
            (self.a, "city-b", self.b, self.key_b),
            (self.b, "city-a", self.a, self.key_a),
        ):
            added = tspace(
                "admin", "add-peer", name, "--url", there.url, "--signing-key", key,
                "--agreement", str(agreement), "--workdir", str(here.root / "space"),
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
        checked = tspace("admin", "check-peer", "city-b", "--workdir", str(self.a.root / "space"))
        assert checked.returncode == 0, checked.stderr

    def underwrite(self, engine: str | None = "direct_lookup") -> subprocess.Popen[bytes]:
        """The insurer's job at A (``engine`` None: the one the policies choose)."""
        proc = self.a.client(
            "insurer", "underwrite", "--applicants", str(self.data / "applicants.csv"),
            "--purpose", "underwriting", "--as-of", AS_OF.isoformat(),
            "--out", str(self.root / "scores.csv"),
            *(("--engine", engine) if engine else ()),
        )  # fmt: skip
        return proc.proc

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Iterator[Cities]:
    both = Cities(tmp_path_factory.mktemp("federation"), data)
    yield both
    both.stop()


@pytest.fixture()
def fresh(cities: Cities) -> Cities:
    for city in (cities.a, cities.b):
        if city.space.proc.poll() is not None:
            city.space.restart()
        wait_healthy(city.url)
    (cities.root / "scores.csv").unlink(missing_ok=True)
    return cities


def _kill_and_restart(city: ServiceDeployment) -> None:
    """kill -9 a city's space mid-job, start it again, wait until it answers."""
    city.space.kill9()
    time.sleep(0.5)
    city.space.restart()
    wait_healthy(city.url)


def _jobs(city: ServiceDeployment) -> list[tuple[object, ...]]:
    return city.db_rows("SELECT job_id, state, step, reasons FROM jobs ORDER BY created_at")


def _client_output(cities: Cities) -> str:
    return (cities.a.root / "client-insurer.log").read_text(errors="replace")


def test_a_job_across_two_spaces_equals_one_space(fresh: Cities, expected: bytes) -> None:
    proc = fresh.underwrite()
    assert proc.wait(timeout=300) == 0, _client_output(fresh)
    assert (fresh.root / "scores.csv").read_bytes() == expected
    (job_a, state_a, _, _) = _jobs(fresh.a)[-1]
    (job_b, _, _, _) = _jobs(fresh.b)[-1]
    assert job_a == job_b and state_a == "succeeded"
    fresh.b.wait_for(f"SELECT 1 FROM jobs WHERE job_id = '{job_b}' AND state = 'succeeded'")
    # The cross-references: B's job names A's submission; A's part names B's entries.
    entries_a = {e["hash"]: e for e in ledger_entries(fresh.a.root / "space")}
    entries_b = {e["hash"]: e for e in ledger_entries(fresh.b.root / "space")}
    submitted_b = next(
        e for e in entries_b.values() if e["kind"] == "job_submitted" and e["job_id"] == job_b
    )
    home_entry = entries_a[submitted_b["details"]["home"]["entry"]]
    assert home_entry["kind"] == "job_submitted" and home_entry["job_id"] == job_a
    accepted = next(
        e for e in entries_a.values() if e["kind"] == "peer_part_accepted" and e["job_id"] == job_a
    )
    assert entries_b[accepted["details"]["peer_entry"]] == submitted_b
    # B's providers' features reached A; the B side saw the CDC only.
    assert submitted_b["details"]["dataset_versions"].keys() == {"cdc"}
    fresh.a.wait_for(f"SELECT 1 FROM ledger WHERE job_id = '{job_a}' AND kind = 'peer_part_closed'")
    closed_b = next(
        e for e in ledger_entries(fresh.b.root / "space")
        if e["kind"] == "peer_job_closed" and e["job_id"] == job_b
    )  # fmt: skip
    collected = next(
        e for e in ledger_entries(fresh.a.root / "space")
        if e["kind"] == "result_collected" and e["job_id"] == job_a
    )  # fmt: skip
    assert closed_b["details"]["home_entry"] == collected["hash"]
    for city in (fresh.a, fresh.b):
        verified = tspace("ledger", "verify", "--workdir", str(city.root / "space"))
        assert verified.returncode == 0, verified.stderr
    # The console shows the peer, its agreement and the job that crossed.
    with httpx.Client(base_url=fresh.a.url, follow_redirects=True) as web:
        form = web.get("/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        steward = fresh.a.keys["steward"].read_text(encoding="utf-8").strip()
        signed_in = web.post(
            "/console/login?lang=en", data={"api_key": steward, "csrf": token.group(1)}
        )
        assert signed_in.status_code == 200, signed_in.text
        page = web.get("/console/peers?lang=en").text
        assert "city-b" in page and str(job_a)[:12] in page and "underwriting_score" in page
        # An auditor holding both ledgers checks what each says of the other.
    both = tspace(
        "ledger", "verify", "--workdir", str(fresh.a.root / "space"),
        "--workdir", str(fresh.b.root / "space"),
    )  # fmt: skip
    assert both.returncode == 0, both.stderr
    assert "Cross-references between the ledgers hold" in both.stdout
    assert " 0 checked" not in both.stdout
    # B's export cut before it closed the job verifies alone, not beside A's.
    exports = {}
    for name, city in (("a", fresh.a), ("b", fresh.b)):
        exports[name] = fresh.root / f"{name}.jsonl"
        done = tspace(
            "ledger", "export", "--workdir", str(city.root / "space"), "--out", str(exports[name])
        )
        assert done.returncode == 0, done.stderr
    lines = exports["b"].read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if '"peer_job_closed"' in line)
    exports["b"].write_text("".join(lines[:cut]), encoding="utf-8")
    alone = tspace("ledger", "verify", "--file", str(exports["b"]), "--public-key", fresh.key_b)
    assert alone.returncode == 0, alone.stderr
    crossed = tspace(
        "ledger", "verify", "--file", str(exports["a"]), "--public-key", fresh.key_a,
        "--file", str(exports["b"]), "--public-key", fresh.key_b,
    )  # fmt: skip
    assert crossed.returncode == 1
    assert "the peer's ledger holds no entry" in crossed.stderr


def _publish(city: ServiceDeployment, owner: str, **changes: object) -> None:
    """The example policy of ``owner`` with ``changes``, as the next version of its id."""
    doc = dated_example(owner, **changes)
    rows = city.db_rows(
        f"SELECT coalesce(max(version), 0) FROM policies WHERE policy_id = '{doc['id']}'"
    )
    doc["version"] = int(str(rows[0][0])) + 1
    folder = city.root / "published"
    folder.mkdir(exist_ok=True)
    city.steward("publish-policy", str(write_policy(folder, f"{owner}-{doc['version']}", doc)))


def _usage(city: ServiceDeployment, job_id: object) -> list[tuple[object, ...]]:
    return city.db_rows(f"SELECT decision FROM usage WHERE job_id = '{job_id}'")


def test_the_peers_denial_reaches_the_consumer_with_its_reason(fresh: Cities) -> None:
    _publish(fresh.b, "cdc", lookup="any", purposes=["research"])
    try:
        proc = fresh.underwrite()
        assert proc.wait(timeout=120) == 2, _client_output(fresh)
        said = _client_output(fresh)
        assert "city-b: " in said and "purpose" in said, said
        (job_id, state, _, reasons) = _jobs(fresh.a)[-1]
        assert state == "denied" and "city-b" in str(reasons)
        assert not (fresh.root / "scores.csv").exists()
        # A allowed its own part, B denied its: A's usage counts the job as denied.
        assert _usage(fresh.a, job_id) == [("deny",)]
        assert _usage(fresh.b, job_id) == [("deny",)]
    finally:
        _publish(fresh.b, "cdc", lookup="any")


def test_either_space_killed_mid_job_is_restarted_and_the_job_completes(
    fresh: Cities, expected: bytes
) -> None:
    before = {str(r[0]) for r in _jobs(fresh.b)}
    proc = fresh.underwrite()
    earlier = ", ".join(f"'{j}'" for j in before) or "''"
    # B killed once its CDC node has the job's PSI step; A once B holds the features task.
    fresh.b.wait_for(f"SELECT 1 FROM tasks WHERE node = 'cdc' AND job_id NOT IN ({earlier})")
    _kill_and_restart(fresh.b)
    fresh.b.wait_for(
        "SELECT 1 FROM tasks WHERE node = 'cdc' AND kind = 'compute_features' "
        f"AND job_id NOT IN ({earlier})"
    )
    _kill_and_restart(fresh.a)
    assert proc.wait(timeout=300) == 0, _client_output(fresh)
    assert (fresh.root / "scores.csv").read_bytes() == expected


def test_a_peer_that_stays_down_fails_the_job_with_a_clear_reason(fresh: Cities) -> None:
    fresh.b.space.stop()
    try:
        started = time.monotonic()
        proc = fresh.underwrite()
        assert proc.wait(timeout=120) == 2, _client_output(fresh)
        assert time.monotonic() - started < 90
        (_, state, _, reasons) = _jobs(fresh.a)[-1]
        assert state == "failed" and "peer_unavailable (peer=city-b)" in str(reasons)
        assert "peer_unavailable (peer=city-b)" in _client_output(fresh)
    finally:
        fresh.b.space.restart()
        wait_healthy(fresh.b.url)


def test_no_identifier_reaches_either_space(fresh: Cities, data: Path) -> None:
    """A job across the two spaces leaves no applicant's id in either
    space's files, database or logs; the CDC's own node holds them."""
    proc = fresh.underwrite()
    assert proc.wait(timeout=300) == 0, _client_output(fresh)
    with (data / "cdc_chronic_registry.csv").open(encoding="utf-8") as fh:
        held = {r["person_id"] for r in csv.DictReader(fh)}
    with (data / "applicants.csv").open(encoding="utf-8") as fh:
        ids = sorted({r["person_id"] for r in csv.DictReader(fh)} & held)
    assert ids, "some applicants are in the CDC's registry"
    for city in (fresh.a, fresh.b):
        assert find_canaries(city.root / "space", ids) == []
        assert find_in_text(sqlite_text(city.db_path), ids) == []
        assert find_in_text(city.logs().splitlines(), ids) == []
    # The checks can fail: the same search finds every one in the CDC's own rows.
    rows = (data / "cdc_chronic_registry.csv").read_text(encoding="utf-8").splitlines()
    assert {n for _, n in find_in_text(rows, ids)} == set(ids)


def _job_entries(city: ServiceDeployment, job_id: object) -> list[dict[str, Any]]:
    return [e for e in ledger_entries(city.root / "space") if e["job_id"] == job_id]


def test_a_blind_job_across_two_spaces_under_the_example_policies(
    fresh: Cities, expected: bytes, data: Path
) -> None:
    """Both owners require the blind lookup (the example policies): the
    insurer at A runs it without being told, the CDC's part joined at B;
    the scores equal one space's and the plaintext reference; B's denial
    reaches the insurer; neither space holds an applicant's id."""
    _publish(fresh.a, "hospital")  # the examples: lookup blind
    _publish(fresh.b, "cdc")
    try:
        proc = fresh.underwrite(None)
        assert proc.wait(timeout=300) == 0, _client_output(fresh)
        assert "blind lookup: scores only" in _client_output(fresh)
        assert (fresh.root / "scores.csv").read_bytes() == expected
        reference = reference_scores(
            hospital=data / "hospital_visits.csv",
            reports=data / "cdc_case_reports.csv",
            registry=data / "cdc_chronic_registry.csv",
            applicants=data / "applicants.csv",
            as_of=AS_OF,
            model=default_model_path(),
            transforms=dated_example("hospital")["output"]["transforms"],
        )
        with (fresh.root / "scores.csv").open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        assert sum(r.status == "scored" for r in reference) > len(reference) // 2
        for row, ref in zip(rows, reference, strict=True):
            assert row["applicant_ref"] == ref.applicant_ref
            assert (row["status"], row["band"] or None) == (ref.status, ref.band), row
            if ref.score is not None:
                assert abs(Decimal(row["score"]) - ref.score) < Decimal("1e-6"), row

        (job_id, state, _, _) = _jobs(fresh.a)[-1]
        assert state == "succeeded"
        fresh.a.wait_for(
            f"SELECT 1 FROM ledger WHERE job_id = '{job_id}' AND kind = 'peer_part_closed'"
        )
        at_a, at_b = _job_entries(fresh.a, job_id), _job_entries(fresh.b, job_id)
        kinds_a, kinds_b = [e["kind"] for e in at_a], [e["kind"] for e in at_b]
        for entries in (at_a, at_b):
            submitted = next(e for e in entries if e["kind"] == "job_submitted")
            assert submitted["details"]["engine"] == "blind_lookup"
            # No entry of either space counts matches (they stay in the spaces).
            assert not any("matched" in json.dumps(e["details"]) for e in entries)
        for kind in ("peer_part_accepted", "peer_blind_evaluated", "peer_partial_received"):
            assert kind in kinds_a, kinds_a
        assert "peer_partial_released" in kinds_b and "peer_job_closed" in kinds_b, kinds_b
        # B's providers evaluated at B; A gave tasks to its own providers only.
        nodes = f"SELECT DISTINCT node FROM tasks WHERE job_id = '{job_id}' ORDER BY node"
        assert fresh.b.db_rows(nodes) == [("cdc",)]
        assert fresh.a.db_rows(nodes) == [("hospital",), ("insurer",)]
        both = tspace(
            "ledger", "verify", "--workdir", str(fresh.a.root / "space"),
            "--workdir", str(fresh.b.root / "space"),
        )  # fmt: skip
        assert both.returncode == 0, both.stderr
        assert "Cross-references between the ledgers hold" in both.stdout

        # Neither space's files, database or logs hold an applicant's id.
        with (data / "applicants.csv").open(encoding="utf-8") as fh:
            ids = sorted({r["person_id"] for r in csv.DictReader(fh)})
        for city in (fresh.a, fresh.b):
            assert find_canaries(city.root / "space", ids) == []
            assert find_in_text(sqlite_text(city.db_path), ids) == []
            assert find_in_text(city.logs().splitlines(), ids) == []

        # Either space killed mid-job and restarted: the blind job completes.
        (fresh.root / "scores.csv").unlink()
        before = ", ".join(f"'{r[0]}'" for r in _jobs(fresh.b))
        proc = fresh.underwrite(None)
        fresh.b.wait_for(f"SELECT 1 FROM tasks WHERE node = 'cdc' AND job_id NOT IN ({before})")
        _kill_and_restart(fresh.b)
        fresh.a.wait_for(
            "SELECT 1 FROM tasks WHERE node = 'insurer' AND kind = 'blind_finish' "
            f"AND job_id NOT IN ({before})"
        )
        _kill_and_restart(fresh.a)
        assert proc.wait(timeout=300) == 0, _client_output(fresh)
        assert (fresh.root / "scores.csv").read_bytes() == expected

        # Only B's owner requires blind now: A learns it from B's catalogue
        # (refreshed by check-peer) and chooses blind for a job naming B's CDC.
        _publish(fresh.a, "hospital", lookup="any")
        refreshed = tspace(
            "admin", "check-peer", "city-b", "--workdir", str(fresh.a.root / "space")
        )
        assert refreshed.returncode == 0, refreshed.stderr
        insurer = fresh.a.keys["insurer"].read_text(encoding="utf-8").strip()
        chosen = httpx.get(
            f"{fresh.a.url}/v1/products/underwriting_score/engine",
            params={"providers": "hospital=hospital;cdc=cdc"},
            headers={"Authorization": f"Bearer {insurer}"},
        ).json()
        assert chosen["engine"] == "blind_lookup", chosen
        assert chosen["required_by"] == ["city-b:cdc-underwriting"], chosen
        assert "city-b:cdc-underwriting" in chosen["why_en"] + chosen["why_zh"]
        hospital_only = httpx.get(
            f"{fresh.a.url}/v1/products/underwriting_score/engine",
            params={"providers": "hospital=hospital"},
            headers={"Authorization": f"Bearer {insurer}"},
        ).json()
        assert hospital_only["engine"] == "direct_lookup", hospital_only
        (fresh.root / "scores.csv").unlink()
        proc = fresh.underwrite(None)
        assert proc.wait(timeout=300) == 0, _client_output(fresh)
        assert (fresh.root / "scores.csv").read_bytes() == expected
        (chosen_job, _, _, _) = _jobs(fresh.a)[-1]
        submitted = next(
            e for e in _job_entries(fresh.a, chosen_job) if e["kind"] == "job_submitted"
        )
        assert submitted["details"]["engine"] == "blind_lookup"

        # B's stewards narrow their policy: the blind job is denied with B's reason.
        _publish(fresh.b, "cdc", purposes=["research"])
        (fresh.root / "scores.csv").unlink()
        proc = fresh.underwrite("blind_lookup")
        assert proc.wait(timeout=120) == 2, _client_output(fresh)
        said = _client_output(fresh)
        assert "city-b: " in said and "purpose" in said, said
        (denied, state, _, reasons) = _jobs(fresh.a)[-1]
        assert state == "denied" and "city-b" in str(reasons)
        assert _usage(fresh.a, denied) == [("deny",)]
        assert not (fresh.root / "scores.csv").exists()
    finally:
        _publish(fresh.a, "hospital", lookup="any")
        _publish(fresh.b, "cdc", lookup="any")
