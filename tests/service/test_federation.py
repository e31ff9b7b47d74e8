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

import base64
import contextlib
import csv
import datetime as dt
import json
import re
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest

from products.underwriting.reference import reference_scores
from tests.cli_runner import run_tspace_wide as tspace
from tests.leakcheck import find_canaries, find_in_text, sqlite_text
from tests.policy_docs import dated_example, write_policy
from tests.service.procs import ServiceDeployment, wait_healthy
from tests.service.recorder import Recorder
from tests.service.underwriting import AS_OF
from trusted_space.demo import default_model_path
from trusted_space.hazmat.paillier import PaillierPublicKey
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
        if city.space_changed:
            city.restart_space()
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


@contextlib.contextmanager
def _console(city: ServiceDeployment) -> Iterator[httpx.Client]:
    """A browser session of the city's steward on its console."""
    with httpx.Client(base_url=city.url, follow_redirects=True) as web:
        form = web.get("/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        steward = city.keys["steward"].read_text(encoding="utf-8").strip()
        signed_in = web.post(
            "/console/login?lang=en", data={"api_key": steward, "csrf": token.group(1)}
        )
        assert signed_in.status_code == 200, signed_in.text
        yield web


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
    with _console(fresh.a) as web:
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
    # A waits 3 s for B here, not the module's 20 s (what lets the other
    # tests' restarts of B pass on a loaded machine); the next test's
    # fixture gives A its 20 s again.
    fresh.a.restart_space(TSPACE_PEER_PATIENCE_SECONDS="3")
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


# -- settlement across the two spaces, recomputed in plain Python -------------------
CHINA = dt.timezone(dt.timedelta(hours=8))
CDC_PRICE = {  # B's stewards price the CDC's part: 3.33 a job, 0.07 a subject queried
    "currency": "CNY",
    "per_job": "3.33",
    "per_subject_queried": "0.07",
    "split": {"operator": "0.125", "by": "queried"},
}


def _fen(text: str) -> int:
    value = Fraction(text) * 100
    assert value.denominator == 1, text
    return int(value)


def _plain_jobs(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each job as one ledger tells it (no settlement or metering code)."""
    jobs: dict[str, dict[str, Any]] = {}
    for e in entries:
        d, job_id = e["details"], e["job_id"]
        if job_id is None:
            continue
        job = jobs.setdefault(job_id, {"matched": {}, "remote": set(), "peer_denied": False})
        if e["kind"] == "job_submitted":
            job["providers"] = {n for names in d["providers"].values() for n in names}
            job["home"] = d.get("home")
            job["hash"] = e["hash"]
            job["mine"] = set(d["dataset_versions"])
        elif e["kind"] == "policy_decision":
            job["month"] = dt.datetime.fromisoformat(e["time"]).astimezone(CHINA).strftime("%Y-%m")
            job.update(allow=d["decision"] == "allow", consumer=d["consumer"])
            job.update(subjects=d["batch_size"], prices=d.get("prices") or [])
        elif e["kind"] == "peer_decision" and not d.get("allowed", True):
            job["peer_denied"] = True
        elif e["kind"] == "peer_part_accepted":
            job["remote"] |= set(d["providers"])
        elif e["kind"] == "subjects_relayed":
            job["matched"] = d["matched"]
        elif e["kind"] == "result_released":
            job["released"] = True
        elif e["kind"] == "peer_job_closed":
            job["closed"] = d["outcome"]
    for job in jobs.values():
        local = job["mine"] if job.get("home") else job["providers"] - job["remote"]
        done = job.get("closed") == "collected" if job.get("home") else job.get("released")
        job["local"] = local
        job["charged"] = bool(job.get("allow") and not job["peer_denied"] and done)
    return jobs


def _plain_lines(job: dict[str, Any]) -> list[tuple[str, int, int, dict[str, int]]]:
    """(policy, charge, operator's share, providers' shares) in fen, per priced policy."""
    out = []
    for terms in job["prices"]:
        owners = sorted(set(terms["owners"]) & job["local"])
        if not owners:
            continue
        price, split = terms["price"], terms["price"]["split"]
        matched = {o: job["matched"].get(o, 0) for o in owners}
        charge = (
            _fen(price.get("per_job", "0"))
            + _fen(price.get("per_subject_queried", "0")) * job["subjects"]
            + _fen(price.get("per_subject_matched", "0")) * sum(matched.values())
        )
        operator = int(Fraction(split["operator"]) * charge + Fraction(1, 2))
        rest = charge - operator
        if split.get("by") == "matched":
            weights = {o: Fraction(matched[o]) for o in owners}
        elif split.get("by") == "queried":
            weights = {o: Fraction(1) for o in owners}
        else:
            weights = {o: Fraction(split["weights"].get(o, "0")) for o in owners}
        if sum(weights.values()) == 0:
            weights = {o: Fraction(1) for o in owners}
        exact = {o: rest * w / sum(weights.values()) for o, w in weights.items()}
        shares = {o: int(exact[o]) for o in owners}
        for o in sorted(owners, key=lambda o: (-(exact[o] - shares[o]), o))[
            : rest - sum(shares.values())
        ]:
            shares[o] += 1
        out.append((terms["policy"], charge, operator, shares))
    return out


def _plain_statements(
    home: list[dict[str, Any]], peer: list[dict[str, Any]], month: str
) -> tuple[dict[tuple[str, str], dict[str, int]], dict[tuple[str, str], dict[str, int]]]:
    """(role, party) -> {job|policy|provider: fen} at A (with B's parts of
    A's jobs) and at B."""
    at_a: dict[tuple[str, str], dict[str, int]] = {}
    at_b: dict[tuple[str, str], dict[str, int]] = {}
    jobs_a, jobs_b = _plain_jobs(home), _plain_jobs(peer)
    for here, jobs in ((at_a, jobs_a), (at_b, jobs_b)):
        for job_id, job in jobs.items():
            if not (job["charged"] and job["month"] == month):
                continue
            payer = ("home", "city-a") if job.get("home") else ("consumer", job["consumer"])
            for policy, charge, operator, shares in _plain_lines(job):
                key = f"{job_id}|{policy}|"
                here.setdefault(payer, {})[key] = charge
                here.setdefault(("operator", "operator"), {})[key] = operator
                for o, share in shares.items():
                    here.setdefault(("provider", o), {})[key + o] = share
    for job_id, job in jobs_a.items():
        part = jobs_b.get(job_id)
        if not (job["charged"] and job["month"] == month and job["remote"] and part):
            continue
        if part["home"]["entry"] != job["hash"] or not part["charged"]:
            continue
        if part["month"] != month:
            continue
        for policy, charge, _, _ in _plain_lines(part):
            at_a.setdefault(("consumer", job["consumer"]), {})[f"{job_id}|{policy}|"] = charge
            at_a.setdefault(("peer", "city-b"), {})[f"{job_id}|{policy}|"] = charge
    return at_a, at_b


def _settled(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in sorted(folder.glob("*.json")):
        statement = json.loads(path.read_text("utf-8"))
        found[(statement["role"], statement["party"])] = statement
    return found


def _lines(statement: dict[str, Any]) -> dict[str, int]:
    return {
        f"{ln['job_id']}|{ln['policy']}|{ln['provider'] or ''}": _fen(ln["amount"])
        for ln in statement["lines"]
    }


def test_settlement_across_the_two_spaces_matches_a_plain_recomputation(fresh: Cities) -> None:
    """B's stewards price the CDC's part; a job across both spaces is
    charged at A under A's policy for the hospital and at B under B's for
    the CDC: the insurer's statement at A lists both lines (each naming its
    space), the CDC and B's operator earn at B, and every statement equals
    a recomputation from the two raw exports to the fen. Editing an entry
    of B's export breaks the verification of the insurer's statement."""
    _publish(fresh.b, "cdc", lookup="any", price=CDC_PRICE)
    try:
        proc = fresh.underwrite()
        assert proc.wait(timeout=300) == 0, _client_output(fresh)
    finally:
        _publish(fresh.b, "cdc", lookup="any")
    (job_id, state, _, _) = _jobs(fresh.a)[-1]
    assert state == "succeeded"
    fresh.a.wait_for(
        f"SELECT 1 FROM ledger WHERE job_id = '{job_id}' AND kind = 'peer_part_closed'"
    )
    month = dt.datetime.now(CHINA).strftime("%Y-%m")
    exports = {}
    for name, city in (("a", fresh.a), ("b", fresh.b)):
        exports[name] = fresh.root / f"settle-{name}.jsonl"
        done = tspace(
            "ledger", "export", "--workdir", str(city.root / "space"), "--out", str(exports[name])
        )
        assert done.returncode == 0, done.stderr
    raw = {
        n: [json.loads(x) for x in p.read_text("utf-8").splitlines()] for n, p in exports.items()
    }
    space_a, space_b = str(fresh.a.root / "space"), str(fresh.b.root / "space")
    out_a, out_b = fresh.root / "statements-a", fresh.root / "statements-b"
    # A's job ran in part at B: A will not settle without B's ledger.
    refused = tspace("settle", "--month", month, "--workdir", space_a, "--out", str(out_a))
    assert refused.returncode == 2 and "--peer-ledger" in refused.stderr, refused.stderr
    settled = tspace(
        "settle", "--month", month, "--workdir", space_a, "--out", str(out_a),
        "--peer-ledger", str(exports["b"]),
    )  # fmt: skip
    assert settled.returncode == 0, settled.stdout + settled.stderr
    settled = tspace("settle", "--month", month, "--workdir", space_b, "--out", str(out_b))
    assert settled.returncode == 0, settled.stdout + settled.stderr
    at_a, at_b = _settled(out_a), _settled(out_b)

    # The ledgers may have grown since the exports (checkpoints): recompute
    # from the entries up to each statement's heads.
    head_a = at_a[("consumer", "insurer")]["ledger_head"]["seq"]
    head_b = at_a[("consumer", "insurer")]["peers"][0]["ledger_head"]["seq"]
    assert head_b == len(raw["b"]) and head_a >= len(raw["a"])
    live_a = ledger_entries(fresh.a.root / "space")[:head_a]
    live_b = ledger_entries(fresh.b.root / "space")[
        : at_b[("operator", "operator")]["ledger_head"]["seq"]
    ]
    expected_a, _ = _plain_statements(live_a, raw["b"], month)
    _, expected_b = _plain_statements(live_a, live_b, month)
    for statements, expected in ((at_a, expected_a), (at_b, expected_b)):
        for party, lines in expected.items():
            assert _lines(statements[party]) == lines, party
            assert _fen(statements[party]["total"]) == sum(lines.values()), party
        for party, statement in statements.items():
            if party not in expected:
                assert statement["lines"] == [] and statement["total"] == "0.00", party
    # This job: the CDC's line priced at B (3.33 + 0.07 x 40 = 6.13; B's
    # operator 0.76625 -> 0.77 half up; the CDC 5.36) beside the hospital's at A.
    mine = [ln for ln in at_a[("consumer", "insurer")]["lines"] if ln["job_id"] == job_id]
    assert {ln["space"] for ln in mine} == {at_a[("operator", "operator")]["space"],
                                            at_b[("operator", "operator")]["space"]}  # fmt: skip
    cdc_line = next(ln for ln in mine if ln["policy"].startswith("cdc-underwriting"))
    assert cdc_line["charge"] == "6.13" and cdc_line["space"] == at_b[("provider", "cdc")]["space"]
    cdc = [ln for ln in at_b[("provider", "cdc")]["lines"] if ln["job_id"] == job_id]
    assert [ln["amount"] for ln in cdc] == ["5.36"]
    assert expected_b[("operator", "operator")][f"{job_id}|{cdc_line['policy']}|"] == 77
    # What A passes on is what B expects from A; each space's books balance.
    assert _lines(at_a[("peer", "city-b")]) == _lines(at_b[("home", "city-a")])
    assert at_a[("peer", "city-b")]["total"] == at_b[("home", "city-a")]["total"] != "0.00"
    for statements in (at_a, at_b):
        owed = sum(_fen(s["total"]) for s in statements.values() if s["direction"] == "owes")
        earned = sum(_fen(s["total"]) for s in statements.values() if s["direction"] == "earns")
        assert owed == earned > 0

    # Offline: the insurer's statement verifies against both exports (taken now).
    for name, space in (("a", space_a), ("b", space_b)):
        done = tspace("ledger", "export", "--workdir", space, "--out", str(exports[name]))
        assert done.returncode == 0, done.stderr
    statement = out_a / "consumer-insurer.json"
    ok = tspace(
        "settle", "verify", str(statement), "--ledger", str(exports["a"]),
        "--public-key", fresh.key_a, "--peer-ledger", str(exports["b"]),
    )  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # One entry of B's export edited (the decision that priced the CDC's part).
    entries_b = [json.loads(x) for x in exports["b"].read_text("utf-8").splitlines()]
    decision = next(
        e for e in entries_b if e["kind"] == "policy_decision" and e["job_id"] == job_id
    )
    decision["details"]["batch_size"] += 1
    edited = fresh.root / "edited-b.jsonl"
    edited.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries_b))
    bad = tspace(
        "settle", "verify", str(statement), "--ledger", str(exports["a"]),
        "--public-key", fresh.key_a, "--peer-ledger", str(edited),
    )  # fmt: skip
    assert bad.returncode == 1
    assert f"ledger entry {decision['seq']}: content does not match its hash" in bad.stderr
    # Without B's export the CDC's line cannot be checked.
    alone = tspace(
        "settle", "verify", str(statement), "--ledger", str(exports["a"]),
        "--public-key", fresh.key_a,
    )  # fmt: skip
    assert alone.returncode == 1 and "--peer-ledger" in alone.stderr
    # The consoles: B's lists the CDC's line and what city-a owes for it; A's
    # lists its own lines and says that city-b's are on the signed statements.
    with _console(fresh.b) as web:
        page = web.get(f"/console/settlement?month={month}&lang=en").text
        assert "peer (home of the jobs)" in page and job_id[:12] in page
        assert "CNY 5.36" in page and "this space" in page
    with _console(fresh.a) as web:
        page = web.get(f"/console/settlement?month={month}&lang=en").text
        assert 'id="settlement-peers-missing"' in page and "city-b" in page
        assert "peer (ran part of the jobs)" in page


# -- what city A receives from city B in a blind lookup, held or not ---------------
@contextlib.contextmanager
def _recorded_peer(cities: Cities) -> Iterator[Recorder]:
    """A reaches B through a recording proxy (a thread of this process, no
    new process): the operator re-adds city-b at the proxy's URL under the
    same agreement and key, and back at B's own URL afterwards. Peer
    requests and answers are signed over their path and body, not the
    host, so the proxy changes nothing but what the test can see."""
    recorder = Recorder(cities.b.url)
    space_a = str(cities.a.root / "space")

    def point(url: str) -> None:
        for args in (
            ("admin", "remove-peer", "city-b", "--workdir", space_a),
            ("admin", "add-peer", "city-b", "--url", url, "--signing-key", cities.key_b,
             "--agreement", str(cities.root / "agreement.json"), "--workdir", space_a),
            ("admin", "check-peer", "city-b", "--workdir", space_a),
        ):  # fmt: skip
            done = tspace(*args)
            assert done.returncode == 0, done.stdout + done.stderr

    point(recorder.url)
    try:
        yield recorder
    finally:
        point(cities.b.url)
        recorder.close()


def _is_trivial(c: int, n: int) -> bool:
    """(1 + n)^m mod n^2, an encryption with no randomness, is 1 modulo n."""
    return c % n == 1


def _distinguishers(cts: list[int], n: int, sent: set[int]) -> dict[str, list[bool]]:
    """Per ciphertext, the features A can compute from what it received: is
    it a repeat of another ciphertext of the answer, an encryption with no
    randomness, or one of the Enc(-r) A itself sent for the subject."""
    seen: dict[int, int] = {}
    for c in cts:
        seen[c] = seen.get(c, 0) + 1
    return {
        "repeated": [seen[c] > 1 for c in cts],
        "trivial": [_is_trivial(c, n) for c in cts],
        "echoed": [c in sent for c in cts],
    }


def test_what_a_receives_from_b_is_the_same_for_held_and_not_held_applicants(
    fresh: Cities, data: Path
) -> None:
    """A blind job across the two spaces, B's CDC holding some applicants
    and not others. Every answer B sends A for the job is recorded
    (``POST /v1/peer/jobs/{id}/masks`` and the polls that follow it): B's
    part is one ciphertext per applicant, all of one size, in Z*_{n^2},
    pairwise distinct, none an encryption without randomness, none one of
    the Enc(-r) A sent; no feature A can compute differs between held and
    not-held applicants. Positive control: B's sum before re-randomising
    (Enc(0) = 1 where the CDC holds nobody) fails the same checks, and
    they separate held from not held."""
    _publish(fresh.a, "hospital")  # the examples: lookup blind
    _publish(fresh.b, "cdc")
    try:
        with _recorded_peer(fresh) as recorder:
            proc = fresh.underwrite(None)
            assert proc.wait(timeout=300) == 0, _client_output(fresh)
            (job_id, state, _, _) = _jobs(fresh.a)[-1]
            assert state == "succeeded"
            fresh.a.wait_for(
                f"SELECT 1 FROM ledger WHERE job_id = '{job_id}' AND kind = 'peer_part_closed'"
            )
            answers = [
                (where, status, json.loads(body))
                for where, status, body in list(recorder.responses)
                if f"/v1/peer/jobs/{job_id}" in where or where == "POST /v1/peer/jobs"
            ]
            sent = [(where, body) for where, body in list(recorder.requests) if job_id in where]
    finally:
        _publish(fresh.a, "hospital", lookup="any")
        _publish(fresh.b, "cdc", lookup="any")

    with (data / "applicants.csv").open(encoding="utf-8") as fh:
        applicants = [r["person_id"] for r in csv.DictReader(fh)]
    held_ids: set[str] = set()
    for name in ("cdc_case_reports.csv", "cdc_chronic_registry.csv"):
        with (data / name).open(encoding="utf-8") as fh:
            held_ids |= {r["person_id"] for r in csv.DictReader(fh)}
    held = [a in held_ids for a in applicants]
    assert any(held) and not all(held), "the CDC holds some applicants and not others"

    # The job's messages from B: all 200, and exactly one part, once.
    assert answers and all(status == 200 for _, status, _ in answers), answers
    masks = [a for w, _, a in answers if w == f"POST /v1/peer/jobs/{job_id}/masks"]
    assert len(masks) == 1, [w for w, _, _ in answers]
    parts = {a["partial"] for _, _, a in answers if a.get("partial")}
    assert len(parts) == 1
    # Every answer has the same fields whatever the applicants: nothing per
    # applicant but the part (the evaluated points are per blinded point).
    for _, _, answer in answers:
        assert set(answer) <= {
            "job_id", "state", "step", "reasons", "reasons_zh", "entry", "duties",
            "providers", "psi_responses", "features", "evaluated", "sealed_keys", "partial",
        }  # fmt: skip
        assert answer["features"] is None and answer["psi_responses"] is None
    spec = json.loads(
        str(fresh.a.db_rows(f"SELECT spec FROM jobs WHERE job_id = '{job_id}'")[0][0])
    )
    key = PaillierPublicKey.from_wire(spec["paillier_public_key"], min_bits=0)
    assert spec["batch_size"] == len(applicants)
    partial = base64.b64decode(parts.pop())
    width = key.ciphertext_bytes
    assert len(partial) == width * len(applicants)  # one ciphertext per applicant
    chunks = [partial[i * width : (i + 1) * width] for i in range(len(applicants))]
    cts = [int(c) for c in key.unpack(partial)]  # each in Z*_{n^2}, or unpack refuses
    # What A sent B for the CDC: the consumer's Enc(-r) per applicant.
    (relayed,) = [body for where, body in sent if where.endswith("/masks")]
    removals = base64.b64decode(json.loads(relayed)["removals"]["cdc"])
    sent_cts = {int(c) for c in key.unpack(removals)}

    features = _distinguishers(cts, key.n, sent_cts)
    by_group = {
        name: {flag: sorted({v for v, h in zip(values, held, strict=True) if h == flag})
               for flag in (True, False)}
        for name, values in features.items()
    }  # fmt: skip
    assert by_group == {name: {True: [False], False: [False]} for name in features}, by_group
    assert {len(c) for c, h in zip(chunks, held, strict=True) if h} == {width}
    assert {len(c) for c, h in zip(chunks, held, strict=True) if not h} == {width}
    assert len(set(cts)) == len(cts)  # all distinct: re-randomised

    # Positive control: the same sums before re-randomising. Where the CDC
    # holds nobody B's sum is Enc(0) with no randomness (1); where it holds
    # the applicant, Enc(m) times the Enc(-r) A sent. The checks catch it,
    # and the features separate held from not held.
    removal_list = [int(c) for c in key.unpack(removals)]
    unrandomised = [
        int(key.add(key.encrypt_trivial(0), removal_list[i])) if h else int(key.encrypt_trivial(0))
        for i, h in enumerate(held)
    ]
    control = _distinguishers(unrandomised, key.n, sent_cts)
    assert len(set(unrandomised)) < len(unrandomised)
    assert control["trivial"] == [not h for h in held]
    assert control["repeated"] == [not h for h in held]
    assert control["echoed"] == held  # m = 0 here: B's sum is A's own Enc(-r)


def test_a_stale_catalogue_never_runs_a_weaker_lookup_than_the_peer_requires(
    fresh: Cities,
) -> None:
    """A chooses the engine from B's catalogue as of the last check-peer.
    B's stewards then require the blind lookup and A is not told: A still
    offers the direct lookup, and B, judging the forwarded job by its own
    policy, denies it before its CDC gets a task; the insurer sees B's
    reason. The cached catalogue is advice; B enforces."""
    space_a = str(fresh.a.root / "space")
    _publish(fresh.a, "hospital", lookup="any")
    _publish(fresh.b, "cdc", lookup="any")
    checked = tspace("admin", "check-peer", "city-b", "--workdir", space_a)
    assert checked.returncode == 0, checked.stderr
    _publish(fresh.b, "cdc")  # the example: lookup blind; A not told
    try:
        insurer = fresh.a.keys["insurer"].read_text(encoding="utf-8").strip()
        chosen = httpx.get(
            f"{fresh.a.url}/v1/products/underwriting_score/engine",
            params={"providers": "hospital=hospital;cdc=cdc"},
            headers={"Authorization": f"Bearer {insurer}"},
        ).json()
        assert chosen["engine"] == "direct_lookup", chosen  # stale: B's old policy
        before = {str(r[0]) for r in _jobs(fresh.b)}
        proc = fresh.underwrite(None)
        assert proc.wait(timeout=120) == 2, _client_output(fresh)
        said = _client_output(fresh)
        assert "city-b: " in said and "requires the blind lookup" in said, said
        (job_id, state, _, reasons) = _jobs(fresh.a)[-1]
        assert state == "denied" and "city-b" in str(reasons)
        assert str(job_id) not in before
        # B's CDC did nothing for it; A received nothing of the CDC's.
        assert fresh.b.db_rows(f"SELECT 1 FROM tasks WHERE job_id = '{job_id}'") == []
        kinds_a = {e["kind"] for e in _job_entries(fresh.a, job_id)}
        assert not kinds_a & {"peer_psi_received", "peer_blind_evaluated", "result_released"}
        assert not (fresh.root / "scores.csv").exists()
    finally:
        _publish(fresh.b, "cdc", lookup="any")
        refreshed = tspace("admin", "check-peer", "city-b", "--workdir", space_a)
        assert refreshed.returncode == 0, refreshed.stderr
