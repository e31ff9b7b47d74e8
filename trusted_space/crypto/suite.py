"""One small interface for hashing, HMAC, a block-cipher PRF, signing and sealing.

Guarantees of the default suite:

- ``hash``: SHA-256, collision resistant.
- ``hmac``: HMAC-SHA256, a PRF under a secret key (used for join tokens).
- ``prf_blocks``: AES-256 in ECB over distinct 16-byte blocks, a PRF at the
  cipher's speed for bulk work (the blind lookup's masks).
- ``sign``/``verify``: Ed25519, existentially unforgeable.
- ``seal``/``open``: libsodium sealed box (X25519 + XSalsa20-Poly1305), an
  anonymous, authenticated-ciphertext public-key encryption. Only the holder of
  the private key can open; the sender stays anonymous to the recipient.

Secret keys are handles: they refuse pickling and hand out their secret bytes
only through an explicit ``export_secret()``.
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import NoReturn

import nacl.exceptions
import nacl.public
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from trusted_space.core.errors import CryptoError
from trusted_space.core.i18n import Text, english


class _SecretHandle:
    """Mixin: a secret that must not be pickled or printed by accident."""

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} holds secret material and cannot be pickled")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} public={self.public_bytes().hex()[:16]}…>"

    def public_bytes(self) -> bytes:
        raise NotImplementedError


class SigningKey(_SecretHandle, ABC):
    @abstractmethod
    def sign(self, data: bytes) -> bytes: ...

    @abstractmethod
    def public_bytes(self) -> bytes: ...

    @abstractmethod
    def export_secret(self) -> bytes: ...


class SealingKey(_SecretHandle, ABC):
    @abstractmethod
    def open(self, sealed: bytes) -> bytes:
        """Decrypt a sealed message; raises ``CryptoError`` when it was altered."""

    @abstractmethod
    def public_bytes(self) -> bytes: ...

    @abstractmethod
    def export_secret(self) -> bytes: ...


class CryptoSuite(ABC):
    """Algorithms a space and its nodes agree on. Stateless."""

    name: str
    hash_name: str

    @property
    def implementation(self) -> str:
        """Which libraries compute it, as a key of the ``crypto.impl.*``
        messages (``tspace keys show`` prints it)."""
        return self.name

    @abstractmethod
    def hash(self, data: bytes) -> bytes: ...

    @abstractmethod
    def hmac(self, key: bytes, data: bytes) -> bytes: ...

    @abstractmethod
    def new_signing_key(self) -> SigningKey: ...

    @abstractmethod
    def load_signing_key(self, secret: bytes) -> SigningKey: ...

    @abstractmethod
    def verify(self, public_key: bytes, data: bytes, signature: bytes) -> None:
        """Raise ``CryptoError`` unless ``signature`` is valid for ``data``."""

    @abstractmethod
    def new_sealing_key(self) -> SealingKey: ...

    @abstractmethod
    def load_sealing_key(self, secret: bytes) -> SealingKey: ...

    @abstractmethod
    def seal(self, public_key: bytes, plaintext: bytes) -> bytes: ...

    def hmac_many(self, key: bytes, items: Iterable[bytes]) -> bytes:
        """The HMACs of many messages under one key, concatenated in order."""
        return b"".join(self.hmac(key, item) for item in items)

    @abstractmethod
    def prf_blocks(self, key: bytes, blocks: bytes) -> bytes:
        """The suite's block cipher under a 32-byte ``key`` applied to each
        ``PRF_BLOCK``-byte block (ECB), in order: a pseudorandom function on
        distinct blocks (the PRP/PRF switching lemma; a caller makes its
        blocks distinct and keeps their number far below 2^64). Bulk work at
        the cipher's speed, where one HMAC per message would cost a Python
        call each (the blind lookup's masks)."""

    def hex_hash(self, data: bytes) -> str:
        return self.hash(data).hex()

    @staticmethod
    def random_bytes(n: int) -> bytes:
        return secrets.token_bytes(n)

    def fingerprint(self, public_key: bytes) -> str:
        """A short, readable fingerprint of a public key (first 16 hex digits)."""
        return self.hash(public_key).hex()[:16]

    def identity_fingerprint(self, public_key: bytes) -> str:
        """The fingerprint people pin a participant's signing key by: the
        first 128 bits of its hash in eight groups of four hex digits
        (``3f2a:9c01:...``), long enough that nobody can make a second key
        with the same one, short enough to read out and compare."""
        digits = self.hash(public_key).hex()[:FINGERPRINT_DIGITS]
        return ":".join(digits[i : i + 4] for i in range(0, FINGERPRINT_DIGITS, 4))


FINGERPRINT_DIGITS = 32
PRF_BLOCK = 16  # the block of AES and SM4


def prf_key(key: bytes, size: int) -> bytes:
    if len(key) != 32:
        raise ValueError("a PRF key is 32 bytes")
    return key[:size]


def ecb(algorithm: algorithms.AES | algorithms.SM4, blocks: bytes) -> bytes:
    """``blocks`` through the cipher, block by block (shared by the suites)."""
    if len(blocks) % PRF_BLOCK:
        raise ValueError(f"PRF input is whole {PRF_BLOCK}-byte blocks")
    encryptor = Cipher(algorithm, modes.ECB()).encryptor()
    return encryptor.update(blocks) + encryptor.finalize()


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as a person typed it (any case, with or without ':',
    '-' or spaces) in the form ``CryptoSuite.identity_fingerprint`` prints; raises
    ``ValueError`` for anything else."""
    digits = "".join(c for c in text.strip().lower() if c not in ": -")
    if len(digits) != FINGERPRINT_DIGITS or any(c not in "0123456789abcdef" for c in digits):
        raise ValueError(english(Text("err.base.value.fingerprint", digits=FINGERPRINT_DIGITS)))
    return ":".join(digits[i : i + 4] for i in range(0, FINGERPRINT_DIGITS, 4))


class _Ed25519SigningKey(SigningKey):
    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self._key = key

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_bytes(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def export_secret(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )


class _X25519SealingKey(SealingKey):
    def __init__(self, key: nacl.public.PrivateKey) -> None:
        self._key = key

    def open(self, sealed: bytes) -> bytes:
        try:
            return nacl.public.SealedBox(self._key).decrypt(sealed)
        except nacl.exceptions.CryptoError as exc:
            raise CryptoError(Text("err.base.crypto.sealed")) from exc

    def public_bytes(self) -> bytes:
        return bytes(self._key.public_key)

    def export_secret(self) -> bytes:
        return bytes(self._key)


_SHA256_BLOCK = 64
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class DefaultSuite(CryptoSuite):
    """SHA-256, HMAC-SHA256, Ed25519, X25519 sealed boxes."""

    name = "default"
    hash_name = "sha256"

    def hash(self, data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    def hmac(self, key: bytes, data: bytes) -> bytes:
        return _hmac.digest(key, data, "sha256")

    def hmac_many(self, key: bytes, items: Iterable[bytes]) -> bytes:
        """RFC 2104 with the padded key's inner and outer SHA-256 states made
        once and copied for each message: about half the cost of a one-shot
        HMAC, which sets the key up again each time (the same bytes; a test
        holds them to ``hmac``)."""
        if len(key) > _SHA256_BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_SHA256_BLOCK, b"\0")
        inner = hashlib.sha256(key.translate(_IPAD)).copy
        outer = hashlib.sha256(key.translate(_OPAD)).copy
        out = []
        for item in items:
            i = inner()
            i.update(item)
            o = outer()
            o.update(i.digest())
            out.append(o.digest())
        return b"".join(out)

    def prf_blocks(self, key: bytes, blocks: bytes) -> bytes:
        """AES-256."""
        return ecb(algorithms.AES(prf_key(key, 32)), blocks)

    def new_signing_key(self) -> SigningKey:
        return _Ed25519SigningKey(ed25519.Ed25519PrivateKey.generate())

    def load_signing_key(self, secret: bytes) -> SigningKey:
        try:
            return _Ed25519SigningKey(ed25519.Ed25519PrivateKey.from_private_bytes(secret))
        except ValueError as exc:
            raise CryptoError(Text("err.base.crypto.not_ed25519_private")) from exc

    def verify(self, public_key: bytes, data: bytes, signature: bytes) -> None:
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
        except (InvalidSignature, ValueError) as exc:
            raise CryptoError(Text("err.base.crypto.signature")) from exc

    def new_sealing_key(self) -> SealingKey:
        return _X25519SealingKey(nacl.public.PrivateKey.generate())

    def load_sealing_key(self, secret: bytes) -> SealingKey:
        try:
            return _X25519SealingKey(nacl.public.PrivateKey(secret))
        except (nacl.exceptions.CryptoError, TypeError, ValueError) as exc:
            raise CryptoError(Text("err.base.crypto.not_x25519_private")) from exc

    def seal(self, public_key: bytes, plaintext: bytes) -> bytes:
        try:
            recipient = nacl.public.PublicKey(public_key)
        except (nacl.exceptions.CryptoError, TypeError, ValueError) as exc:
            raise CryptoError(Text("err.base.crypto.not_x25519_public")) from exc
        return nacl.public.SealedBox(recipient).encrypt(plaintext)


_SUITES: dict[str, CryptoSuite] = {"default": DefaultSuite()}


def register_suite(suite: CryptoSuite) -> None:
    _SUITES[suite.name] = suite


def available_suites() -> list[str]:
    return sorted(_SUITES)


def get_suite(name: str = "default") -> CryptoSuite:
    try:
        return _SUITES[name]
    except KeyError:
        said = Text(
            "err.base.value.suite", name=repr(name), available=", ".join(available_suites())
        )
        raise ValueError(english(said)) from None
