"""The operator cannot read identifiers by swapping a provider's keys (issue 22, item 1).

The attack, as the review ran it: the operator re-adds a provider's name (or
rotates its API key, which it may), registers a sealing key of its own as
that provider's, or rewrites the provider's keys in the space's database
outright; a consumer then sealed the matched applicants to the operator's
key, which opened their resident ids from the space's own ``tasks`` table.

Now a name is added once; each participant's keys are a statement signed by
its own signing key; every node pins each party's signing key on first use
(or by a person's word) and checks every statement against its pin before it
seals anything. Whatever the operator writes into its own database, the
consumer refuses to seal to a key the provider did not sign, and the
operator opens nothing.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.stories import AS_OF, offer_health
from trusted_space.cli import app
from trusted_space.core.errors import (
    CryptoError,
    KeyChanged,
    ParticipantExists,
    UntrustedKey,
)
from trusted_space.crypto import SealingKey
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.nodes.consumer import ConsumerNode
from trusted_space.protocol.identity import sign_keys
from trusted_space.synth import generate_health
from trusted_space.transport.embedded import EmbeddedTransport

PROVIDERS = {"hospital": ["hospital"], "cdc": ["cdc"]}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("health")
    generate_health(400, 5, out, applicants=12, end_date=AS_OF)
    return out


def applicant_ids(data: Path) -> list[str]:
    with (data / "applicants.csv").open(encoding="utf-8") as fh:
        return [row["person_id"] for row in csv.DictReader(fh)]


@pytest.fixture
def dep(tmp_path: Path, data: Path, suite: str) -> Iterator[EmbeddedDeployment]:
    with EmbeddedDeployment(
        tmp_path / "work", suite=suite, paillier_preset=TEST_ONLY_PAILLIER_1024
    ) as deployment:
        offer_health(deployment, data)
        yield deployment


def lookup(dep: EmbeddedDeployment, consumer: ConsumerNode, ids: list[str]) -> str:
    job_id = consumer.submit_lookup(
        "underwriting_score",
        ids,
        as_of=AS_OF,
        purpose="underwriting",
        providers=PROVIDERS,
        model_document=default_model_path().read_bytes(),
    )
    dep.run_job(consumer, job_id)
    return job_id


def sealed_blobs(dep: EmbeddedDeployment) -> list[bytes]:
    """Every sealed box the space holds in its tasks and job data: what the
    operator would try its key on."""
    db = dep.space.store.db
    blobs = []
    for (payload,) in db.execute("SELECT payload FROM tasks"):
        fields = json.loads(payload)
        for name in ("sealed_subjects", "sealed_key"):
            if isinstance(fields.get(name), str):
                blobs.append(base64.b64decode(fields[name]))
    for (value,) in db.execute("SELECT value FROM job_data"):
        blobs.append(bytes(value))
    return blobs


def opened_by(key: SealingKey, blobs: list[bytes], ids: list[str]) -> set[str]:
    """The applicants' ids the holder of ``key`` reads out of ``blobs``."""
    found = set()
    for blob in blobs:
        try:
            text = key.open(blob).decode("utf-8", "replace")
        except CryptoError:
            continue
        found |= {i for i in ids if i in text}
    return found


def operator_writes_keys(dep: EmbeddedDeployment, name: str, statement: str) -> None:
    """The operator rewrites the keys its space hands out for a participant,
    bypassing every check the space makes (it keeps checking the real node's
    step signatures, so the job still runs up to the sealing)."""
    keys = json.loads(statement)
    with dep.space.store.transaction() as db:
        db.execute(
            "UPDATE participants SET sealing_key = ?, key_statement = ? WHERE name = ?",
            (keys["sealing_key"], statement, name),
        )


def test_re_adding_a_participant_name_is_refused(dep: EmbeddedDeployment) -> None:
    before = [e.kind for e in dep.space.ledger.entries()]
    with pytest.raises(ParticipantExists, match="hospital"):
        dep.space.add_participant(None, "hospital", "provider")
    with pytest.raises(ParticipantExists):
        dep.space.add_participant(None, "hospital", "consumer")
    assert [e.kind for e in dep.space.ledger.entries()] == before  # no key issued


def test_the_operator_swaps_a_providers_keys_and_no_identifier_is_sealed_to_it(
    dep: EmbeddedDeployment, data: Path
) -> None:
    ids = applicant_ids(data)
    insurer = dep.consumer("insurer")
    lookup(dep, insurer, ids)  # the insurer pins the providers' keys on first use
    assert set(insurer.pins.pinned()) == {"hospital", "cdc"}
    hospital = dep.providers["hospital"]
    suite = dep.space.suite
    operator_signing, operator_sealing = suite.new_signing_key(), suite.new_sealing_key()
    forged = sign_keys(
        suite,
        operator_signing,
        name="hospital",
        role="provider",
        sealing_key=operator_sealing.public_bytes(),
        serial=hospital.public_keys().serial + 1,
    )
    # Through the space's own doors: a fresh API key for the provider (the
    # operator may rotate keys), then the operator's keys registered as its.
    dep.space.rotate_key(None, "hospital")
    with pytest.raises(KeyChanged):
        dep.space.register_keys("hospital", forged)
    # Past every door: the operator writes its keys into its own database.
    operator_writes_keys(dep, "hospital", forged.model_dump_json())
    with pytest.raises(KeyChanged) as refused:
        lookup(dep, insurer, ids)
    message = str(refused.value)
    pinned = insurer.pins.pinned()["hospital"]["fingerprint"]
    assert "hospital" in message and pinned in message
    assert suite.identity_fingerprint(operator_signing.public_bytes()) in message
    assert "tspace keys trust hospital" in message  # what a person does if it is genuine
    assert opened_by(operator_sealing, sealed_blobs(dep), ids) == set()
    statuses = dep.space.store.db.execute(
        "SELECT reasons FROM jobs WHERE state = 'failed'"
    ).fetchall()
    assert len(statuses) == 1 and "key_changed" in statuses[0][0]


def test_a_swapped_sealing_key_under_the_providers_own_signature_is_refused(
    dep: EmbeddedDeployment, data: Path
) -> None:
    ids = applicant_ids(data)
    insurer = dep.consumer("insurer")
    lookup(dep, insurer, ids)
    suite = dep.space.suite
    operator_sealing = suite.new_sealing_key()
    real = dep.space.participants.keys_of("hospital")
    swapped = real.model_copy(
        update={"sealing_key": operator_sealing.public_bytes().hex(), "serial": real.serial + 1}
    )
    operator_writes_keys(dep, "hospital", swapped.model_dump_json())
    with pytest.raises(UntrustedKey, match="hospital"):
        lookup(dep, insurer, ids)
    # An older statement of the provider's, replayed, is refused too.
    operator_writes_keys(
        dep, "hospital", real.model_copy(update={"serial": real.serial}).model_dump_json()
    )
    assert lookup(dep, insurer, ids)  # the real keys: the job runs
    assert opened_by(operator_sealing, sealed_blobs(dep), ids) == set()


def test_a_cohort_job_key_is_not_sealed_to_a_swapped_key(
    dep: EmbeddedDeployment, data: Path
) -> None:
    """The one-job token key of a space-aided join goes only to keys the
    provider signed (the consumer reads them from the space's list)."""
    requester = dep.consumer("insurer")
    suite = dep.space.suite
    operator_signing, operator_sealing = suite.new_signing_key(), suite.new_sealing_key()
    requester.pins.check(dep.space.participants.keys_of("cdc"), "provider")  # seen before
    forged = sign_keys(
        suite,
        operator_signing,
        name="cdc",
        role="provider",
        sealing_key=operator_sealing.public_bytes(),
        serial=9,
    )
    operator_writes_keys(dep, "cdc", forged.model_dump_json())
    with pytest.raises(KeyChanged):
        requester.submit_join(
            "cohort_statistics",
            {
                "hospital": {"cohort": "inpatients", "from": "2025-01-01", "to": "2026-06-30"},
                "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
                "measures": ["count"],
                "group_by": ["sex"],
                "min_count": 0,
            },
            as_of=AS_OF,
            purpose="research",
            providers=PROVIDERS,
            epsilon=None,
        )
    assert dep.space.store.db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


def test_a_fingerprint_pinned_at_onboarding_closes_the_first_use_gap(
    dep: EmbeddedDeployment, data: Path
) -> None:
    """A consumer that never used the hospital, but pinned the fingerprint
    ``add-participant`` printed, refuses keys the operator swapped in before
    its first job."""
    suite = dep.space.suite
    real_fp = dep.providers["hospital"].identity.fingerprint()
    newcomer = ConsumerNode(
        "insurer2",
        dep.node_dir("insurer2"),
        EmbeddedTransport(dep.space, "insurer2"),
        suite,
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    dep.space.register(newcomer.public_keys())
    assert newcomer.pins.trust("hospital", real_fp.replace(":", "").upper()) is None
    forged = sign_keys(
        suite,
        suite.new_signing_key(),
        name="hospital",
        role="provider",
        sealing_key=suite.new_sealing_key().public_bytes(),
        serial=5,
    )
    operator_writes_keys(dep, "hospital", forged.model_dump_json())
    with pytest.raises(KeyChanged):
        lookup(dep, newcomer, applicant_ids(data))


def test_a_rotation_signed_by_the_old_key_is_followed(dep: EmbeddedDeployment, data: Path) -> None:
    ids = applicant_ids(data)
    insurer = dep.consumer("insurer")
    first = dep.consumer("insurer").outcome(lookup(dep, insurer, ids)).scores()
    hospital = dep.providers["hospital"]
    old_fp = hospital.identity.fingerprint()
    rotated = hospital.rotate_keys(signing=True)
    assert rotated.serial == 1 and len(rotated.rotations) == 1
    new_fp = hospital.identity.fingerprint()
    assert new_fp != old_fp
    assert insurer.pins.pinned()["hospital"]["fingerprint"] == old_fp
    again = insurer.outcome(lookup(dep, insurer, ids)).scores()
    assert again == first
    assert insurer.pins.pinned()["hospital"]["fingerprint"] == new_fp
    kinds = [e.kind for e in dep.space.ledger.entries()]
    assert "keys_rotated" in kinds
    # A second rotation, of the sealing key alone: still followed.
    hospital.rotate_keys()
    assert insurer.outcome(lookup(dep, insurer, ids)).scores() == first


def test_re_pinning_by_a_person_is_loud(dep: EmbeddedDeployment) -> None:
    insurer = dep.consumer("insurer")
    node = ["--workdir", str(dep.node_dir("insurer")), "--suite", dep.space.suite.name]
    fp = dep.providers["hospital"].identity.fingerprint()
    runner = CliRunner()
    result = runner.invoke(app, ["--lang", "en", "keys", "trust", "hospital", fp, *node])
    assert result.exit_code == 0, result.output
    assert f"Pinned hospital's signing key: {fp}" in result.output
    other = dep.space.suite.identity_fingerprint(b"another key")
    result = runner.invoke(app, ["--lang", "en", "keys", "trust", "hospital", other, *node])
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.stderr and fp in result.stderr and other in result.stderr
    result = runner.invoke(app, ["--lang", "en", "keys", "show", *node])
    assert result.exit_code == 0, result.output
    assert other in result.output and "pinned by a person" in result.output
    assert insurer.identity.fingerprint() in result.output
    result = runner.invoke(app, ["--lang", "en", "keys", "trust", "hospital", "xyz", *node])
    assert result.exit_code == 2


def test_add_participant_prints_the_fingerprint_and_refuses_a_name_twice(
    tmp_path: Path,
) -> None:
    from trusted_space.crypto import get_suite

    suite = get_suite("default")
    key = suite.new_signing_key()
    runner = CliRunner()
    workdir = str(tmp_path / "space")
    args = ["--lang", "en", "admin", "add-participant", "hospital", "--role", "provider"]
    first = runner.invoke(
        app, [*args, "--workdir", workdir, "--signing-key", key.public_bytes().hex()]
    )
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().startswith("tsk_")
    assert suite.identity_fingerprint(key.public_bytes()) in first.stderr
    again = runner.invoke(app, [*args, "--workdir", workdir])
    assert again.exit_code == 2
    assert "exists already" in again.stderr and "tsk_" not in again.stdout
    lost = suite.new_signing_key().public_bytes()
    rebound = runner.invoke(
        app,
        [
            "--lang",
            "en",
            "admin",
            "rebind-key",
            "hospital",
            "--signing-key",
            lost.hex(),
            "--workdir",
            workdir,
        ],
    )
    assert rebound.exit_code == 0, rebound.output
    assert "WARNING" in rebound.stderr and suite.identity_fingerprint(lost) in rebound.stderr
