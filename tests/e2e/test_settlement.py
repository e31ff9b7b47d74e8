"""`tspace settle` (issue 26): statements recomputed from the raw ledger export.

Two embedded spaces under each suite: an underwriting space (two blind jobs
under the hospital's priced example policy and the CDC's unpriced one, and
a denied job) and a lending space (two centres paid per matched subject,
split by matches). Every statement `tspace settle` writes is recomputed here
from the exported ledger in plain Python (integers of fen and fractions, no
settlement code) and must match to the fen; an edited ledger entry or amount
makes `tspace settle verify` fail; a month without jobs gives zero statements.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from products.lending.runner import run_lending
from tests.canaries import HEALTH_NEEDLES, plant_health
from tests.cli_runner import run_tspace
from tests.leakcheck import find_canaries
from tests.policy_docs import dated, dated_example
from tests.stories import AS_OF, underwrite_synth
from trusted_space.core.errors import PolicyDenied
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health, generate_tenders

CHINA = dt.timezone(dt.timedelta(hours=8))
MONTH = dt.datetime.now(CHINA).strftime("%Y-%m")


def tspace(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tspace(*args)


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def underwriting(tmp_path_factory: pytest.TempPathFactory, suite: str) -> Path:
    data = tmp_path_factory.mktemp("health")
    generate_health(1500, 6, data, applicants=30, end_date=AS_OF)
    plant_health(data)
    work = tmp_path_factory.mktemp(f"underwriting-{suite}")
    hospital = dated_example("hospital")  # priced: 2.00 a job, 0.30 a subject queried
    assert hospital["price"]["split"] == {"operator": "0.10", "by": "queried"}
    cdc = dated_example("cdc")  # no price terms: charges nothing
    assert "price" not in cdc
    policies = [write(work.parent / f"{work.name}-h.yaml", hospital)]
    policies.append(write(work.parent / f"{work.name}-c.yaml", cdc))
    for _ in range(2):
        underwrite_synth(data, work, suite=suite, policies=policies)
    with pytest.raises(PolicyDenied):  # denied jobs are never charged
        underwrite_synth(data, work, suite=suite, policies=policies, purpose="claims")
    return work


@pytest.fixture(scope="module")
def lending(tmp_path_factory: pytest.TempPathFactory, suite: str) -> Path:
    data = tmp_path_factory.mktemp("tenders")
    generate_tenders(400, 17, data, applicants=40, end_date=AS_OF)
    work = tmp_path_factory.mktemp(f"lending-{suite}")
    doc = dated("tender_lending_features.centres.yaml")
    doc["price"] = {
        "currency": "CNY",
        "per_job": "0.50",
        "per_subject_matched": "1.37",
        "split": {"operator": "0.075", "by": "matched"},
    }
    policy = write(work.parent / f"{work.name}-policy.yaml", doc)
    for _ in range(2):
        run_lending(
            workdir=work,
            tenders=[data / "centre_a", data / "centre_b"],
            applicants=data / "bank_applicants.csv",
            as_of=AS_OF,
            out=work / "features.csv",
            policies=[policy],
            suite=suite,
            paillier_preset=TEST_ONLY_PAILLIER_1024,
        )
    return work


# -- an independent recomputation: fen as integers, fractions as Fraction -----------
def _fen(text: str) -> int:
    value = Fraction(text) * 100
    assert value.denominator == 1, text
    return int(value)


def _bucket(n: int) -> int:
    if n < 10:
        return 0
    power = 10 ** (len(str(n)) - 1)
    return max(s * power for s in (1, 2, 5) if s * power <= n)


def recompute(entries: list[dict[str, Any]], month: str) -> dict[tuple[str, str], dict[str, int]]:
    """(role, party) -> {job_id|policy|provider: amount in fen}."""
    jobs: dict[str, dict[str, Any]] = {}
    parties: dict[tuple[str, str], dict[str, int]] = {("operator", "operator"): {}}
    for e in entries:
        d = e["details"]
        if e["kind"] == "participant_added" and d["role"] in ("consumer", "provider"):
            parties[(d["role"], d["name"])] = {}
        if e["job_id"] is None:
            continue
        job = jobs.setdefault(e["job_id"], {"matched": {}, "released": False})
        if e["kind"] == "job_submitted":
            job["providers"] = {n for names in d["providers"].values() for n in names}
            job["blind"] = d.get("engine") == "blind_lookup"
        elif e["kind"] == "policy_decision":
            when = dt.datetime.fromisoformat(e["time"]).astimezone(CHINA)
            job["month"] = when.strftime("%Y-%m")
            job.update(allow=d["decision"] == "allow", consumer=d["consumer"])
            job.update(subjects=d["batch_size"], prices=d.get("prices", []))
        elif e["kind"] == "subjects_relayed":
            job["matched"] = d["matched"]
        elif e["kind"] == "tokens_joined":
            job["joined"] = _bucket(d["intersection"])
        elif e["kind"] == "result_released":
            job["released"] = True
    for job_id, job in jobs.items():
        if not (job.get("allow") and job["released"] and job["month"] == month):
            continue
        for terms in job["prices"]:
            owners = sorted(set(terms["owners"]) & job["providers"])
            price, split = terms["price"], terms["price"]["split"]
            matched = {o: job.get("joined", job["matched"].get(o, 0)) for o in owners}
            charge = (
                _fen(price.get("per_job", "0"))
                + _fen(price.get("per_subject_queried", "0")) * job["subjects"]
                + _fen(price.get("per_subject_matched", "0")) * sum(matched.values())
            )
            exact_operator = Fraction(split["operator"]) * charge
            operator = int(exact_operator + Fraction(1, 2))  # half up (non-negative)
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
            shares = {o: int(exact[o]) for o in owners}  # floor: all non-negative
            order = sorted(owners, key=lambda o: (-(exact[o] - shares[o]), o))
            for o in order[: rest - sum(shares.values())]:
                shares[o] += 1
            key = f"{job_id}|{terms['policy']}"
            parties.setdefault(("consumer", job["consumer"]), {})[key + "|"] = charge
            parties[("operator", "operator")][key + "|"] = operator
            for o in owners:
                parties.setdefault(("provider", o), {})[f"{key}|{o}"] = shares[o]
    return parties


def _statement_lines(statement: dict[str, Any]) -> dict[str, int]:
    return {
        f"{line['job_id']}|{line['policy']}|{line['provider'] or ''}": _fen(line["amount"])
        for line in statement["lines"]
    }


def _settle(space: Path, out: Path, month: str = MONTH) -> dict[tuple[str, str], dict[str, Any]]:
    result = tspace("settle", "--month", month, "--workdir", str(space), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    found = {}
    for path in sorted(out.glob("*.json")):
        statement = json.loads(path.read_text("utf-8"))
        found[(statement["role"], statement["party"])] = statement
        assert (out / f"{path.stem}.csv").exists()
    return found


def _export(space: Path, path: Path) -> list[dict[str, Any]]:
    result = tspace("ledger", "export", "--workdir", str(space), "--out", str(path))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_underwriting_statements_match_a_plain_recomputation(
    underwriting: Path, tmp_path: Path
) -> None:
    check_against_recomputation("underwriting", underwriting, tmp_path)


def test_lending_statements_match_a_plain_recomputation(lending: Path, tmp_path: Path) -> None:
    check_against_recomputation("lending", lending, tmp_path)


def check_against_recomputation(which: str, space: Path, tmp_path: Path) -> None:
    """Every statement equals the plain recomputation to the fen."""
    statements = _settle(space, tmp_path / "out")
    entries = _export(space, tmp_path / "ledger.jsonl")
    expected = recompute(entries, MONTH)
    assert set(statements) == set(expected)
    for party, lines in expected.items():
        statement = statements[party]
        assert _statement_lines(statement) == lines, party
        assert _fen(statement["total"]) == sum(lines.values()), party
        assert statement["ledger_head"] == {"seq": entries[-1]["seq"], "hash": entries[-1]["hash"]}
        hashes = {e["hash"] for e in entries}
        assert set(statement["entries"]) <= hashes
    owed = sum(_fen(s["total"]) for (role, _), s in statements.items() if role == "consumer")
    earned = sum(_fen(s["total"]) for (role, _), s in statements.items() if role != "consumer")
    assert owed == earned > 0
    assert find_canaries(tmp_path / "out", HEALTH_NEEDLES) == []
    if which == "underwriting":
        # Two succeeded blind jobs, each 2.00 + 0.30 a subject queried; the
        # denied job and the CDC's unpriced policy charge nothing.
        consumer = statements[("consumer", "insurer")]
        assert consumer["jobs"] == 2 and len(consumer["lines"]) == 2
        for line in consumer["lines"]:
            assert line["matched"] is None  # blind: no match is counted
            assert _fen(line["charge"]) == 200 + 30 * line["subjects"]
        assert statements[("provider", "cdc")]["total"] == "0.00"
        hospital = statements[("provider", "hospital")]
        assert len(hospital["lines"]) == 2 and _fen(hospital["total"]) > 0
    else:
        a, b = statements[("provider", "centre_a")], statements[("provider", "centre_b")]
        assert a["lines"][0]["matched"] > 0 and b["lines"][0]["matched"] > 0
        assert statements[("consumer", "bank")]["jobs"] == 2
    operator_csv = (tmp_path / "out" / "operator.csv").read_text("utf-8").splitlines()
    assert operator_csv[-1].endswith(statements[("operator", "operator")]["total"])


def test_an_edited_entry_or_amount_fails_verification(underwriting: Path, tmp_path: Path) -> None:
    statements = _settle(underwriting, tmp_path / "out")
    export = tmp_path / "ledger.jsonl"
    entries = _export(underwriting, export)
    key = tmp_path / "space.pub"
    key.write_text(tspace("ledger", "public-key", "--workdir", str(underwriting)).stdout)
    statement = tmp_path / "out" / "provider-hospital.json"
    ok = tspace(
        "settle", "verify", str(statement), "--ledger", str(export), "--public-key", str(key)
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    total = statements[("provider", "hospital")]["total"]
    assert "Statement holds: hospital, provider (earns)" in ok.stdout
    assert f"CNY {total}" in ok.stdout

    # One ledger entry edited: a decision's batch size.
    decision = next(e for e in entries if e["kind"] == "policy_decision" and e["details"]["prices"])
    decision["details"]["batch_size"] += 1
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    bad = tspace(
        "settle", "verify", str(statement), "--ledger", str(edited), "--public-key", str(key)
    )
    assert bad.returncode == 1
    assert f"ledger entry {decision['seq']}: content does not match its hash" in bad.stderr

    # One amount edited in the statement.
    doc = statements[("provider", "hospital")]
    cents = _fen(doc["lines"][0]["amount"]) + 1  # one fen more
    doc["lines"][0]["amount"] = f"{cents // 100}.{cents % 100:02d}"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc))
    bad = tspace(
        "settle", "verify", str(changed), "--ledger", str(export), "--public-key", str(key)
    )
    assert bad.returncode == 1
    said = doc["lines"][0]["amount"]
    assert f"statement.lines[0].amount: the statement says '{said}'" in bad.stderr


def test_a_month_without_jobs_gives_zero_statements(underwriting: Path, tmp_path: Path) -> None:
    statements = _settle(underwriting, tmp_path / "out", "2020-01")
    assert {p for p in statements} >= {
        ("consumer", "insurer"),
        ("provider", "hospital"),
        ("provider", "cdc"),
        ("operator", "operator"),
    }
    for statement in statements.values():
        assert statement["total"] == "0.00" and statement["lines"] == []
    refused = tspace("settle", "--month", "2020-13", "--workdir", str(underwriting), "--out", "x")
    assert refused.returncode == 2 and "--month: 2020-13 is not a month" in refused.stderr
