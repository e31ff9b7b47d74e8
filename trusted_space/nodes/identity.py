"""A node's own long-term keys and the signed statement it announces them with.

The keys live in the node's ``keys/`` folder (``signing.<suite>.key``,
``sealing.<suite>.key``); the statement, its serial and the history of its
signing keys in ``identity.<suite>.json`` beside them, so the node announces
the same statement after every restart. ``rotate`` makes a new sealing key
(and, if asked, a new signing key, handed over by a signature of the old
one) and raises the serial; sealing keys it replaced stay in
``keys/retired/`` so what was sealed to them before the rotation still opens.
"""

from __future__ import annotations

from pathlib import Path

from trusted_space.core.errors import CryptoError
from trusted_space.crypto import CryptoSuite, SealingKey, SigningKey
from trusted_space.crypto.keyfiles import (
    load_or_create_sealing_key,
    load_or_create_signing_key,
    read_secret_json,
    write_secret,
    write_secret_json,
)
from trusted_space.protocol.identity import rotation_link, sign_keys
from trusted_space.protocol.messages import KeyRotation, ParticipantKeys, Role

RETIRED_KEPT = 8  # retired sealing keys kept, newest first


class SealingKeyRing(SealingKey):
    """The node's current sealing key, and the ones it retired: a message
    sealed to a retired key before a rotation still opens."""

    def __init__(self, current: SealingKey, retired: list[SealingKey]) -> None:
        self.current = current
        self.retired = retired

    def open(self, sealed: bytes) -> bytes:
        try:
            return self.current.open(sealed)
        except CryptoError:
            for key in self.retired:
                try:
                    return key.open(sealed)
                except CryptoError:
                    continue
            raise

    def public_bytes(self) -> bytes:
        return self.current.public_bytes()

    def export_secret(self) -> bytes:
        return self.current.export_secret()


class NodeIdentity:
    def __init__(self, suite: CryptoSuite, keys_dir: Path) -> None:
        self.suite = suite
        self.dir = Path(keys_dir)
        self.signing_key: SigningKey = load_or_create_signing_key(suite, self.dir)
        current = load_or_create_sealing_key(suite, self.dir)
        self.sealing_key = SealingKeyRing(current, self._retired())
        self.path = self.dir / f"identity.{suite.name}.json"

    def _retired(self) -> list[SealingKey]:
        folder = self.dir / "retired"
        paths = sorted(folder.glob(f"sealing.{self.suite.name}.*.key"), reverse=True)
        return [self.suite.load_sealing_key(p.read_bytes()) for p in paths[:RETIRED_KEPT]]

    def _stored(self) -> ParticipantKeys | None:
        if not self.path.exists():
            return None
        return ParticipantKeys.model_validate(read_secret_json(self.path))

    def fingerprint(self) -> str:
        return self.suite.identity_fingerprint(self.signing_key.public_bytes())

    def statement(self, name: str, role: Role) -> ParticipantKeys:
        """The node's keys as it announces them: the stored statement while
        it still describes them, else a new one (serial raised) signed now."""
        stored = self._stored()
        signing = self.signing_key.public_bytes().hex()
        sealing = self.sealing_key.public_bytes()
        if (
            stored is not None
            and (stored.name, stored.role, stored.suite) == (name, role, self.suite.name)
            and (stored.signing_key, stored.sealing_key) == (signing, sealing.hex())
        ):
            return stored
        # The keys changed outside ``rotate`` (lost and remade, or a first
        # start): a new statement; the history carries over only while the
        # signing key is the one it ends with.
        rotations: list[KeyRotation] = []
        serial = 0
        if stored is not None:
            serial = stored.serial + 1
            if stored.signing_key == signing:
                rotations = list(stored.rotations)
        keys = sign_keys(
            self.suite,
            self.signing_key,
            name=name,
            role=role,
            sealing_key=sealing,
            serial=serial,
            rotations=rotations,
        )
        write_secret_json(self.path, keys.model_dump(mode="json"))
        return keys

    def rotate(self, name: str, role: Role, *, signing: bool = False) -> ParticipantKeys:
        """New keys: always a sealing key, and a signing key when ``signing``
        (the old one signs the handover). The old sealing key is retired, not
        deleted. Returns the new statement, to register with the space."""
        current = self.statement(name, role)
        retired = self.dir / "retired"
        write_secret(
            retired / f"sealing.{self.suite.name}.{current.serial:06d}.key",
            self.sealing_key.export_secret(),
        )
        new_sealing = self.suite.new_sealing_key()
        rotations = list(current.rotations)
        new_signing = self.signing_key
        if signing:
            new_signing = self.suite.new_signing_key()
            rotations.append(
                rotation_link(self.suite, self.signing_key, name, new_signing.public_bytes())
            )
        keys = sign_keys(
            self.suite,
            new_signing,
            name=name,
            role=role,
            sealing_key=new_sealing.public_bytes(),
            serial=current.serial + 1,
            rotations=rotations,
        )
        # The statement first: a crash between the writes leaves a statement
        # that no longer matches the key files, which ``statement`` re-signs.
        write_secret_json(self.path, keys.model_dump(mode="json"))
        write_secret(self.dir / f"sealing.{self.suite.name}.key", new_sealing.export_secret())
        if signing:
            write_secret(self.dir / f"signing.{self.suite.name}.key", new_signing.export_secret())
        self.signing_key = new_signing
        self.sealing_key = SealingKeyRing(new_sealing, self._retired())
        return keys
