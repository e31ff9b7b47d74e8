"""Signed key statements, rotations, pins and the space's registration rules
(issue 22, item 1), under both crypto suites."""

from __future__ import annotations

from pathlib import Path

import pytest

from trusted_space.core.errors import KeyChanged, TaskAltered, UntrustedKey
from trusted_space.crypto import CryptoSuite, get_suite, normalise_fingerprint
from trusted_space.nodes.identity import NodeIdentity
from trusted_space.nodes.pins import Pins
from trusted_space.protocol.identity import (
    rotation_link,
    sign_job,
    sign_keys,
    signing_chain,
    verify_job,
)
from trusted_space.protocol.messages import JobSpec, ParticipantKeys, SignedJob
from trusted_space.space.space import Space, SpaceConfig


@pytest.fixture(params=["default", "gm"])
def suite(request: pytest.FixtureRequest) -> CryptoSuite:
    return get_suite(request.param)


def keys_for(suite: CryptoSuite, name: str = "hospital", serial: int = 0) -> ParticipantKeys:
    return sign_keys(
        suite,
        suite.new_signing_key(),
        name=name,
        role="provider",
        sealing_key=suite.new_sealing_key().public_bytes(),
        serial=serial,
    )


def test_a_statement_verifies_and_any_change_breaks_it(suite: CryptoSuite) -> None:
    keys = keys_for(suite)
    assert signing_chain(suite, keys) == [keys.signing_key]
    other = suite.new_sealing_key().public_bytes().hex()
    for change in (
        {"sealing_key": other},
        {"serial": 1},
        {"name": "cdc"},
        {"role": "consumer"},
        {"signature": "00" * 64},
        {"signature": "zz"},
        {"signing_key": suite.new_signing_key().public_bytes().hex()},
    ):
        with pytest.raises(UntrustedKey):
            signing_chain(suite, keys.model_copy(update=change))
    with pytest.raises(UntrustedKey):
        signing_chain(suite, keys.model_copy(update={"suite": "other"}))


def test_a_rotation_chain_verifies_link_by_link(suite: CryptoSuite) -> None:
    first, second = suite.new_signing_key(), suite.new_signing_key()
    link = rotation_link(suite, first, "hospital", second.public_bytes())
    keys = sign_keys(
        suite,
        second,
        name="hospital",
        role="provider",
        sealing_key=suite.new_sealing_key().public_bytes(),
        serial=1,
        rotations=[link],
    )
    assert signing_chain(suite, keys) == [first.public_bytes().hex(), second.public_bytes().hex()]
    # A link signed by a stranger, or for another participant, breaks it.
    stranger = rotation_link(suite, suite.new_signing_key(), "hospital", second.public_bytes())
    forged = link.model_copy(update={"signature": stranger.signature})
    for rotations in ([forged], [rotation_link(suite, first, "cdc", second.public_bytes())]):
        bad = sign_keys(
            suite,
            second,
            name="hospital",
            role="provider",
            sealing_key=bytes.fromhex(keys.sealing_key),
            serial=1,
            rotations=rotations,
        )
        with pytest.raises(UntrustedKey):
            signing_chain(suite, bad)


def test_pins_trust_on_first_use_then_refuse_a_change(tmp_path: Path, suite: CryptoSuite) -> None:
    pins = Pins(tmp_path, suite)
    keys = keys_for(suite)
    assert pins.check(keys, "provider") == keys
    again = Pins(tmp_path, suite)  # kept in the node's folder
    assert again.pinned()["hospital"]["how"] == "first_use"
    with pytest.raises(KeyChanged) as changed:
        again.check(keys_for(suite, serial=3), "provider")
    assert again.pinned()["hospital"]["fingerprint"] in str(changed.value)
    with pytest.raises(UntrustedKey, match="consumer"):
        again.check(keys, "consumer")
    assert (tmp_path / "pins" / f"{suite.name}.json").stat().st_mode & 0o077 == 0


def test_pins_refuse_an_older_statement_and_follow_a_signed_rotation(
    tmp_path: Path, suite: CryptoSuite
) -> None:
    node = NodeIdentity(suite, tmp_path / "node" / "keys")
    first = node.statement("hospital", "provider")
    pins = Pins(tmp_path / "consumer", suite)
    pins.check(first, "provider")
    second = node.rotate("hospital", "provider")
    assert second.serial == first.serial + 1 and second.sealing_key != first.sealing_key
    pins.check(second, "provider")
    with pytest.raises(UntrustedKey):
        pins.check(first, "provider")  # the old sealing key, replayed
    third = node.rotate("hospital", "provider", signing=True)
    assert third.signing_key != first.signing_key
    pins.check(third, "provider")
    assert pins.pinned()["hospital"]["fingerprint"] == suite.identity_fingerprint(
        bytes.fromhex(third.signing_key)
    )
    # The node reads the same statement after a restart, and still opens
    # what was sealed to its first sealing key.
    restarted = NodeIdentity(suite, tmp_path / "node" / "keys")
    assert restarted.statement("hospital", "provider") == third
    sealed = suite.seal(bytes.fromhex(first.sealing_key), b"before the rotation")
    assert restarted.sealing_key.open(sealed) == b"before the rotation"


def test_a_person_pins_by_fingerprint(tmp_path: Path, suite: CryptoSuite) -> None:
    keys = keys_for(suite)
    fp = suite.identity_fingerprint(bytes.fromhex(keys.signing_key))
    assert len(fp) == 39 and fp.count(":") == 7
    assert normalise_fingerprint(fp.replace(":", " ").upper()) == fp
    with pytest.raises(ValueError):
        normalise_fingerprint(fp[:-1])
    pins = Pins(tmp_path, suite)
    assert pins.trust("hospital", fp) is None
    pins.check(keys, "provider")
    assert pins.trust("hospital", suite.identity_fingerprint(b"x")) == fp
    with pytest.raises(KeyChanged):
        pins.check(keys, "provider")


def test_a_signed_job_verifies_and_any_change_breaks_it(suite: CryptoSuite) -> None:
    signing = suite.new_signing_key()
    consumer = sign_keys(
        suite,
        signing,
        name="insurer",
        role="consumer",
        sealing_key=suite.new_sealing_key().public_bytes(),
        serial=0,
    )
    spec = JobSpec(
        job_id="a" * 32,
        product="underwriting_score",
        consumer="insurer",
        purpose="underwriting",
        as_of="2026-10-31",
        batch_size=2,
        providers={"hospital": ["hospital"]},
        paillier_public_key="ff",
        model=b"{}",
    )
    job = SignedJob(
        spec=spec,
        psi_request_hash=suite.hex_hash(b"request"),
        signature=sign_job(suite, signing, spec, psi_request=b"request"),
        consumer_keys=consumer,
    )
    verify_job(suite, job, consumer.signing_key)
    for change in (
        {"spec": spec.model_copy(update={"batch_size": 3})},
        {"spec": spec.model_copy(update={"paillier_public_key": "fd"})},
        {"spec": spec.model_copy(update={"model": b"{ }"})},
        {"psi_request_hash": suite.hex_hash(b"another request")},
        {"blinded_hash": suite.hex_hash(b"points")},
    ):
        with pytest.raises(TaskAltered):
            verify_job(suite, job.model_copy(update=change), consumer.signing_key)
    with pytest.raises(TaskAltered):
        verify_job(suite, job, suite.new_signing_key().public_bytes().hex())


def test_the_space_binds_a_name_to_its_signing_key(tmp_path: Path, suite: CryptoSuite) -> None:
    space = Space(tmp_path / "space", SpaceConfig(suite=suite.name))
    try:
        node = NodeIdentity(suite, tmp_path / "node")
        bound = node.signing_key.public_bytes().hex()
        space.add_participant(None, "hospital", "provider", signing_key=bound)
        with pytest.raises(KeyChanged):  # another signing key than the bound one
            space.register_keys("hospital", keys_for(suite))
        first = node.statement("hospital", "provider")
        space.register_keys("hospital", first)
        space.register_keys("hospital", first)  # announced again: accepted, nothing new
        rotated = node.rotate("hospital", "provider", signing=True)
        space.register_keys("hospital", rotated)
        with pytest.raises(UntrustedKey):
            space.register_keys("hospital", first)  # rolled back
        assert space.participants.keys_of("hospital") == rotated
        kinds = [e.kind for e in space.ledger.entries()]
        assert kinds.count("keys_registered") == 1 and kinds.count("keys_rotated") == 1
        entry = next(e for e in space.ledger.entries() if e.kind == "keys_rotated")
        assert ParticipantKeys.model_validate(entry.details["statement"]) == rotated
        # A participant that lost its key: the operator rebinds it, loudly.
        lost = NodeIdentity(suite, tmp_path / "replacement")
        space.rebind_signing_key(None, "hospital", lost.signing_key.public_bytes().hex())
        assert space.participants.public_keys() == []
        space.register_keys("hospital", lost.statement("hospital", "provider"))
        assert [e.kind for e in space.ledger.entries()][-2:] == [
            "signing_key_rebound",
            "keys_registered",
        ]
    finally:
        space.close()
