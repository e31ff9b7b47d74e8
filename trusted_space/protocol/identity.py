"""Participants' keys bound to the participants, not to the space's word.

Each participant holds a long-term signing key. It signs the statement of
the keys it announces (its sealing key, with its name, role, suite and a
serial raised by every announcement); a new signing key comes with a link
signed by the one it replaces. A consumer signs each job it submits: the
spec and the hashes of its PSI request or blinded points.

The space checks these signatures too, but the guarantee rests on the other
parties: each node pins every party's signing key on first use or by a
person's word (trusted_space/nodes/pins.py) and checks every statement and
every job against its pin before it seals anything or computes anything, so
a space that swaps a provider's sealing key, re-adds its name or rewrites a
task is refused.

Guarantee: under the suite's signature (Ed25519 or SM2), nobody without a
participant's signing key (or, for a rotation, the previous one) can make a
statement or a job that verifies under it. Leakage: none; every field here
is public.
"""

from __future__ import annotations

from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.errors import CryptoError, TaskAltered, UntrustedKey
from trusted_space.core.i18n import Text, t
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.protocol.messages import (
    JobSpec,
    KeyRotation,
    ParticipantKeys,
    Role,
    SignedJob,
)

KEYS_STATEMENT = "tspace participant keys/1"
ROTATION_STATEMENT = "tspace signing key rotation/1"
JOB_STATEMENT = "tspace job/1"


def keys_statement(keys: ParticipantKeys) -> bytes:
    """What a participant signs when it announces its keys."""
    return canonical_json(
        {
            "type": KEYS_STATEMENT,
            "name": keys.name,
            "role": keys.role,
            "suite": keys.suite,
            "signing_key": keys.signing_key,
            "sealing_key": keys.sealing_key,
            "serial": keys.serial,
        }
    )


def rotation_statement(name: str, suite: str, previous_key: str, next_key: str) -> bytes:
    """What a participant's previous signing key signs to hand over to the next."""
    return canonical_json(
        {
            "type": ROTATION_STATEMENT,
            "name": name,
            "suite": suite,
            "previous_key": previous_key,
            "next_key": next_key,
        }
    )


def sign_keys(
    suite: CryptoSuite,
    signing_key: SigningKey,
    *,
    name: str,
    role: Role,
    sealing_key: bytes,
    serial: int,
    rotations: list[KeyRotation] | None = None,
) -> ParticipantKeys:
    """A participant's keys, announced under its own signature."""
    unsigned = ParticipantKeys(
        name=name,
        role=role,
        suite=suite.name,
        signing_key=signing_key.public_bytes().hex(),
        sealing_key=sealing_key.hex(),
        serial=serial,
        rotations=list(rotations or []),
    )
    signature = signing_key.sign(keys_statement(unsigned)).hex()
    return unsigned.model_copy(update={"signature": signature})


def rotation_link(
    suite: CryptoSuite, previous: SigningKey, name: str, next_key: bytes
) -> KeyRotation:
    """The previous signing key's signature handing over to ``next_key``."""
    previous_hex = previous.public_bytes().hex()
    statement = rotation_statement(name, suite.name, previous_hex, next_key.hex())
    return KeyRotation(previous_key=previous_hex, signature=previous.sign(statement).hex())


def _verify(suite: CryptoSuite, public_hex: str, data: bytes, signature_hex: str) -> None:
    """``CryptoError`` unless the signature verifies; garbage is a CryptoError too."""
    try:
        suite.verify(bytes.fromhex(public_hex), data, bytes.fromhex(signature_hex))
    except CryptoError:
        raise
    except Exception as exc:  # malformed hex or a point off the curve, from any suite
        raise CryptoError(Text("err.space.protocol.malformed_signature")) from exc


def signing_chain(suite: CryptoSuite, keys: ParticipantKeys) -> list[str]:
    """The participant's signing keys (hex), oldest first and ending with its
    current one, once every signature verifies; ``UntrustedKey`` otherwise."""
    if keys.suite != suite.name:
        raise UntrustedKey(t("keys.wrong_suite", name=keys.name, suite=keys.suite, ours=suite.name))
    chain = [link.previous_key for link in keys.rotations] + [keys.signing_key]
    if len(set(chain)) != len(chain):
        raise UntrustedKey(t("keys.unsigned", name=keys.name))
    try:
        for i, link in enumerate(keys.rotations):
            statement = rotation_statement(keys.name, keys.suite, link.previous_key, chain[i + 1])
            _verify(suite, link.previous_key, statement, link.signature)
        _verify(suite, keys.signing_key, keys_statement(keys), keys.signature)
        bytes.fromhex(keys.sealing_key)
    except (CryptoError, ValueError):
        raise UntrustedKey(t("keys.unsigned", name=keys.name)) from None
    return chain


def job_statement(spec: JobSpec, psi_request_hash: str | None, blinded_hash: str | None) -> bytes:
    """What a consumer signs when it submits a job."""
    return canonical_json(
        {
            "type": JOB_STATEMENT,
            "spec": spec.model_dump(mode="json"),
            "psi_request": psi_request_hash,
            "blinded": blinded_hash,
        }
    )


def sign_job(
    suite: CryptoSuite,
    signing_key: SigningKey,
    spec: JobSpec,
    *,
    psi_request: bytes | None = None,
    blinded: bytes | None = None,
) -> str:
    """The consumer's signature (hex) over its job."""
    statement = job_statement(
        spec,
        suite.hex_hash(psi_request) if psi_request is not None else None,
        suite.hex_hash(blinded) if blinded is not None else None,
    )
    return signing_key.sign(statement).hex()


def verify_job(suite: CryptoSuite, job: SignedJob, signing_key_hex: str) -> None:
    """``TaskAltered`` unless ``signing_key_hex`` (the consumer's, checked by
    the caller against its pin) signed this job as it stands."""
    if job.spec.consumer != job.consumer_keys.name or job.consumer_keys.role != "consumer":
        raise TaskAltered(Text("err.space.protocol.job_unsigned"))
    statement = job_statement(job.spec, job.psi_request_hash, job.blinded_hash)
    try:
        _verify(suite, signing_key_hex, statement, job.signature)
    except CryptoError:
        raise TaskAltered(
            Text("err.space.protocol.job_altered", consumer=job.spec.consumer)
        ) from None
