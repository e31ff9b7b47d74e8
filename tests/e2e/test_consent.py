"""Consent records and opt-outs at a provider (`tspace consent`).

Invalid consent rows are reported with row and field and valid ones kept; an
opt-out leaves the next dataset version, so the next job's PSI no longer
finds the subject there, and leaves every cohort at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
from pathlib import Path

import pytest

from connectors.applicants import read_applicants
from connectors.node_store import NodeStore
from products.cohort.compute import hospital_rows
from products.cohort.query import parse_query
from tests.cli_runner import run_tspace
from tests.stories import underwrite_synth
from trusted_space.synth import generate_health


def tspace(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tspace("consent", *args)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    generate_health(1500, 12, out, applicants=30, end_date=dt.date(2026, 10, 31))
    return out


def test_consent_import_keeps_valid_rows_and_reports_bad_ones(
    data: Path, tmp_path: Path, suite: str
) -> None:
    work = tmp_path / "work"
    underwrite_synth(data, work, suite=suite)
    with (data / "applicants.csv").open() as fh:
        ids = [r["person_id"] for r in csv.DictReader(fh)][:3]
    f = tmp_path / "consents.csv"
    f.write_text(
        "subject_id,consumer,product,purpose,expires,evidence_ref\n"
        f"{ids[0]},insurer,underwriting_score,underwriting,2027-12-31,EV-1\n"
        f"{ids[1]},insurer,underwriting_score,underwriting,2027-12-31,EV-2\n"
        "110105194912310021,insurer,underwriting_score,underwriting,2027-12-31,EV-3\n"
        f"{ids[2]},insurer,no_such_product,underwriting,2027-12-31,EV-4\n"
        f"{ids[2]},insurer,underwriting_score,underwriting,31/12/2027,EV-5\n",
        encoding="utf-8",
    )
    node = work / "nodes" / "hospital"
    result = tspace("import", str(f), "--workdir", str(node))
    assert result.returncode == 0, result.stderr
    assert "Stored 2 consent records; 3 rows rejected" in result.stdout
    assert ":3 subject_id:" in result.stderr
    assert ":4 product:" in result.stderr
    assert ":5 expires:" in result.stderr
    assert (
        "2 live consents, 0 revoked, 0 opted out" in tspace("status", "--workdir", str(node)).stdout
    )
    revoked = tspace(
        "revoke", "--workdir", str(node), "--subject", ids[0], "--product", "underwriting_score"
    )
    assert revoked.returncode == 0 and "Revoked 1 consents" in revoked.stdout
    assert "1 live consents, 1 revoked" in tspace("status", "--workdir", str(node)).stdout


def test_an_opt_out_leaves_the_next_version_and_every_cohort(
    data: Path, tmp_path: Path, suite: str
) -> None:
    work = tmp_path / "work"
    first = underwrite_synth(data, work, suite=suite)
    node = work / "nodes" / "hospital"
    with NodeStore(node, read_only=True) as store:
        version, subjects = store.datasets()["hospital"]
        held = set(store.subject_ids("hospital"))
    with (data / "applicants.csv").open() as fh:
        person = next(r["person_id"] for r in csv.DictReader(fh) if r["person_id"] in held)
    query = parse_query(
        {
            "hospital": {
                "cohort": "icd10_visits",
                "codes": "A00-Z99",
                "from": "2020-01-01",
                "to": "2026-10-31",
            },
            "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
            "measures": ["count"],
        }
    )
    with NodeStore(node, read_only=True) as store:
        before = set(hospital_rows(store.con, query).column("person_id").to_pylist())
    assert person in before

    missing = tspace(
        "revoke",
        "--workdir",
        str(node),
        "--subject",
        person,
        "--product",
        "underwriting_score",
        "--opt-out",
    )
    assert missing.returncode == 2 and "--evidence" in missing.stderr
    done = tspace(
        "revoke",
        "--workdir",
        str(node),
        "--subject",
        person,
        "--product",
        "underwriting_score",
        "--opt-out",
        "--evidence",
        "WITHDRAWAL-1",
    )
    assert done.returncode == 0, done.stderr
    with NodeStore(node, read_only=True) as store:
        assert store.datasets()["hospital"] == (version + 1, subjects - 1)
        assert person not in store.subject_ids("hospital")
        after = set(hospital_rows(store.con, query).column("person_id").to_pylist())
    assert after == before - {person}

    second = underwrite_synth(data, work, suite=suite)
    assert second.matched["hospital"] == first.matched["hospital"] - 1


def test_a_consent_policy_withholds_subjects_without_live_consent(
    data: Path, tmp_path: Path, suite: str
) -> None:
    from tests.policy_docs import dated_example, write_policy

    folder = tmp_path / "policies"
    folder.mkdir()
    # The direct lookup, which tells the insurer who was withheld (the blind
    # lookup's consent, which does not, is tested in test_blind_lookup.py).
    plain = [write_policy(folder, n, dated_example(n, lookup="any")) for n in ("hospital", "cdc")]
    strict = [
        write_policy(
            folder,
            "hospital-consent",
            dated_example("hospital", consent_required=True, lookup="any"),
        ),
        plain[1],
    ]
    kw = {
        "policies": strict,
        "purpose": "underwriting",
        "consent_refs": ["EV-BATCH-2026-11"],
        "suite": suite,
    }
    reference = underwrite_synth(data, tmp_path / "ref", policies=plain, purpose="underwriting")
    work = tmp_path / "work"
    first = underwrite_synth(data, work, **kw)
    node = work / "nodes" / "hospital"
    with NodeStore(node, read_only=True) as store:
        held = set(store.subject_ids("hospital"))
    # Normalised ids, as the insurer submits them (some are written with a
    # lower-case x or full-width digits).
    batch = [
        {"applicant_ref": a.ref, "person_id": a.person_id}
        for a in read_applicants(data / "applicants.csv")
    ]
    at_hospital = {r["applicant_ref"] for r in batch if r["person_id"] in held}
    assert at_hospital
    # No consent recorded yet: every applicant the hospital holds is withheld.
    status = {r.applicant_ref: r.status for r in first.rows}
    assert {ref for ref, s in status.items() if s == "no_consent"} == at_hospital

    consenting = [r for r in batch if r["person_id"] in held][2:]
    with NodeStore(node) as store:
        store.record_consents(
            [
                (
                    r["person_id"],
                    "insurer",
                    "underwriting_score",
                    "underwriting",
                    dt.date(2027, 12, 31),
                    f"EV-{i}",
                )
                for i, r in enumerate(consenting)
            ]
        )
    second = underwrite_synth(data, work, **kw)
    expected = {r.applicant_ref: r for r in reference.rows}
    refused = at_hospital - {r["applicant_ref"] for r in consenting}
    for row in second.rows:
        if row.applicant_ref in refused:
            assert row.status == "no_consent" and row.score is None
        else:  # scored on all of its data, as without the consent policy
            assert row.cells() == expected[row.applicant_ref].cells()

    with NodeStore(node) as store:
        assert store.revoke_consents(consenting[0]["person_id"]) == 1
    third = underwrite_synth(data, work, **kw)
    revoked = next(r for r in third.rows if r.applicant_ref == consenting[0]["applicant_ref"])
    assert revoked.status == "no_consent"
    assert sum(r.status == "no_consent" for r in third.rows) == len(refused) + 1
