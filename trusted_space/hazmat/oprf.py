"""An oblivious PRF on ristretto255 (2HashDH). The only module that imports rbcl.

    F(k, x) = H2(x, H1(x)^k)

H1 maps an identifier to the group: SHA-512 of a domain tag and the
identifier, then ristretto255's one-way map (RFC 9496, section 4.3.4), as
libsodium's ``crypto_core_ristretto255_from_hash``. H2 is SHA-512 of a second
tag, the identifier and the point's encoding, cut to TOKEN_BYTES.

Guarantee (honest-but-curious, DDH on ristretto255): a key holder evaluating
blinded points H1(x)^a learns nothing of x (each a is a fresh uniform
scalar); the requester learns F(k, x) for its own x and nothing of k; tokens
under one key are pseudorandom to anyone without the key, so the space that
joins two token sets learns only which tokens are equal. Unlike a shared
HMAC key, whoever holds tokens can test an identifier of their choosing only
by asking the key holder to evaluate it.

Why this group and library (see docs/crypto-suites.md): ristretto255 is a
prime-order group, so no cofactor care is needed (PyNaCl's ed25519
no-clamp operations would need it, and PyNaCl exposes no ristretto255);
libsodium implements it in constant time; ``rbcl`` ships libsodium inside
its wheel (no system library to install) and exposes the raw
``crypto_core_ristretto255_*`` and ``crypto_scalarmult_ristretto255`` calls.
A whole OPRF costs about 0.22 ms an item (blind, evaluate, unblind) on one
core. On the SM2 curve, even with Tongsuo's constant-time ladder (the gm
suite's SM2 backend), it would cost at least 1.28 ms an item (three
multiplications at 0.32 ms and a hash-to-curve that neither Tongsuo nor
the package index offers; bench/gm_oprf.py): 5.7 times more, over issue
21's 3x bar, so the national suite keeps this OPRF on ristretto255, as PSI
stays on P-256 (its hashes are the group's, not the suite's).

Known-answer tests: tests/vectors/ristretto255.json (RFC 9496 A.1, A.3).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
from collections.abc import Sequence
from typing import NoReturn

import rbcl

from trusted_space.core.errors import CryptoError, ProtocolError
from trusted_space.core.i18n import Text

POINT_BYTES = 32
SCALAR_BYTES = 32
TOKEN_BYTES = 32
_H1 = b"tspace-oprf-ristretto255-H1\x00"
_H2 = b"tspace-oprf-ristretto255-H2\x00"
_IDENTITY = bytes(POINT_BYTES)

# rbcl writes its libsodium to a fresh temporary file on every import and
# never deletes it (2.7 MB per process: a node, a worker or a test run leaks
# one each). The library is loaded by then; on POSIX the file can go.
_RBCL_LIBRARY = getattr(sys.modules.get("rbcl._sodium"), "lib_path", None)
if isinstance(_RBCL_LIBRARY, str):
    with contextlib.suppress(OSError):
        os.unlink(_RBCL_LIBRARY)


def hash_to_group(data: bytes) -> bytes:
    """RFC 9496's element derivation from 64 uniform bytes: SHA-512(data)."""
    return bytes(rbcl.crypto_core_ristretto255_from_hash(hashlib.sha512(data).digest()))


def base_multiple(k: int) -> bytes:
    """[k]B for 0 < k < the group order (known-answer tests)."""
    return bytes(rbcl.crypto_scalarmult_ristretto255_base(k.to_bytes(SCALAR_BYTES, "little")))


def _h1(item: str) -> bytes:
    return hash_to_group(_H1 + item.encode("utf-8"))


def _h2(item: str, point: bytes) -> bytes:
    data = item.encode("utf-8")
    return hashlib.sha512(_H2 + len(data).to_bytes(4, "big") + data + point).digest()[:TOKEN_BYTES]


def _points(blob: bytes) -> list[bytes]:
    if len(blob) % POINT_BYTES:
        raise ProtocolError(Text("err.base.oprf.point_size", n=POINT_BYTES))
    points = [blob[i : i + POINT_BYTES] for i in range(0, len(blob), POINT_BYTES)]
    for p in points:
        if p == _IDENTITY or not rbcl.crypto_core_ristretto255_is_valid_point(p):
            raise ProtocolError(Text("err.base.oprf.bad_point"))
    return points


def _mul(scalar: bytes, point: bytes) -> bytes:
    try:
        return bytes(rbcl.crypto_scalarmult_ristretto255(scalar, point))
    except RuntimeError as exc:  # identity result: never for valid inputs
        raise CryptoError(Text("err.base.oprf.scalar_mult")) from exc


class OprfKey:
    """A provider's OPRF key for one epoch. Refuses pickling."""

    def __init__(self, scalar: bytes) -> None:
        if len(scalar) != SCALAR_BYTES or scalar == bytes(SCALAR_BYTES):
            raise CryptoError(Text("err.base.oprf.key"))
        self._k = scalar

    @classmethod
    def generate(cls) -> OprfKey:
        return cls(bytes(rbcl.crypto_core_ristretto255_scalar_random()))

    def export_secret(self) -> bytes:
        return self._k

    def __reduce__(self) -> NoReturn:
        raise TypeError("an OPRF key is not pickled; export_secret() it explicitly")

    def __repr__(self) -> str:
        return "OprfKey(<secret>)"

    def tokens(self, items: Sequence[str]) -> bytes:
        """F(k, x) for each item, TOKEN_BYTES each, in order (the key holder's own set)."""
        return b"".join(_h2(x, _mul(self._k, _h1(x))) for x in items)

    def evaluate(self, blinded: bytes) -> bytes:
        """Each blinded point raised to k, in order; refuses invalid points."""
        return b"".join(_mul(self._k, p) for p in _points(blinded))


class OprfRequest:
    """A requester's blinded items: one fresh scalar per item, kept secret."""

    def __init__(self, items: Sequence[str], scalars: Sequence[bytes] | None = None) -> None:
        self.items = list(items)
        self._scalars = (
            list(scalars)
            if scalars is not None
            else [bytes(rbcl.crypto_core_ristretto255_scalar_random()) for _ in self.items]
        )
        if len(self._scalars) != len(self.items):
            raise ValueError("one scalar per item")

    def blinded(self) -> bytes:
        return b"".join(_mul(a, _h1(x)) for a, x in zip(self._scalars, self.items, strict=True))

    def export_secret(self) -> list[str]:
        return [a.hex() for a in self._scalars]

    @classmethod
    def import_secret(cls, items: Sequence[str], secret: Sequence[str]) -> OprfRequest:
        return cls(items, [bytes.fromhex(a) for a in secret])

    def __reduce__(self) -> NoReturn:
        raise TypeError("an OPRF request holds secret scalars; export_secret() it explicitly")

    def finalize(self, evaluated: bytes) -> bytes:
        """F(k, x) for each item from the key holder's answer, in order."""
        points = _points(evaluated)
        if len(points) != len(self.items):
            raise ProtocolError(Text("err.base.oprf.incomplete"))
        out = []
        for a, x, p in zip(self._scalars, self.items, points, strict=True):
            inverse = bytes(rbcl.crypto_core_ristretto255_scalar_invert(a))
            out.append(_h2(x, _mul(inverse, p)))
        return b"".join(out)


def random_id() -> bytes:
    """A fresh 16-byte identifier (an upload's)."""
    return secrets.token_bytes(16)
