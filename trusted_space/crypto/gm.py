"""The national (商用密码) suite ``gm``: SM3, HMAC-SM3, SM2 signatures, SM2 + SM4 sealing.

- ``hash``: SM3 (GB/T 32905), from ``cryptography`` (OpenSSL).
- ``hmac``: HMAC-SM3, from ``cryptography``.
- ``sign``/``verify``: SM2 signatures (GB/T 32918.2) on the recommended curve
  with the standard user id ``1234567812345678``, from the SM2 backend
  (trusted_space/crypto/sm2.py: Tongsuo's C code wherever tongsuopy
  installs, gmssl's pure Python elsewhere). Signatures are the 64 bytes
  r || s; public keys the 64 bytes x || y.
- ``seal``/``open``: an ephemeral SM2 key agreement with the recipient's key
  (C1 = kG, the shared point kP, both multiplications by the backend), the
  SM3 key-derivation function of GB/T 32918.4 over x2 || y2, and SM4-GCM
  (``cryptography``) over the message, authenticated with C1 as associated
  data. The ephemeral k is drawn here from ``secrets``.
- ``prf_blocks``: SM4 (GB/T 32907) in ECB over distinct blocks, from
  ``cryptography``: the blind lookup's masks.

docs/crypto-suites.md says why these libraries and what stays on
international algorithms (openmined-psi's P-256 ECDH, Paillier).
"""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from trusted_space.core.errors import CryptoError
from trusted_space.core.i18n import Text
from trusted_space.crypto.sm2 import COORD, N, Sm2Backend, check_point, default_backend
from trusted_space.crypto.suite import CryptoSuite, SealingKey, SigningKey, ecb, prf_key

SEAL_VERSION = b"\x01"


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def kdf(z: bytes, length: int) -> bytes:
    """GB/T 32918.4 KDF: SM3(z || ct) for ct = 1, 2, ... (32-bit big endian)."""
    out = b"".join(sm3(z + ct.to_bytes(4, "big")) for ct in range(1, -(-length // 32) + 1))
    return out[:length]


def _scalar() -> int:
    return secrets.randbelow(N - 1) + 1


class _Sm2SigningKey(SigningKey):
    def __init__(self, sm2: Sm2Backend, d: int) -> None:
        if not 1 <= d < N - 1:
            raise CryptoError(Text("err.base.crypto.not_sm2_private"))
        self._sm2 = sm2
        self._d = d
        self._public = sm2.multiply(d)
        self._signer: Any = sm2.signer(d)

    def sign(self, data: bytes) -> bytes:
        return self._sm2.sign(self._signer, data)

    def _sign_with_nonce(self, data: bytes, k: int) -> bytes:
        """Known-answer tests only: a fixed nonce k reveals the key if reused."""
        return self._sm2.sign_with_nonce(self._d, data, k)

    def public_bytes(self) -> bytes:
        return self._public

    def export_secret(self) -> bytes:
        return self._d.to_bytes(COORD, "big")


class _Sm2SealingKey(SealingKey):
    def __init__(self, sm2: Sm2Backend, d: int) -> None:
        if not 1 <= d < N - 1:
            raise CryptoError(Text("err.base.crypto.not_sm2_private"))
        self._sm2 = sm2
        self._d = d
        self._public = sm2.multiply(d)

    def open(self, sealed: bytes) -> bytes:
        if len(sealed) < 1 + 2 * COORD + 12 + 16 or sealed[:1] != SEAL_VERSION:
            raise CryptoError(Text("err.base.crypto.sealed"))
        c1 = sealed[1 : 1 + 2 * COORD]
        nonce = sealed[1 + 2 * COORD : 1 + 2 * COORD + 12]
        body, tag = sealed[1 + 2 * COORD + 12 : -16], sealed[-16:]
        try:
            check_point(c1)
            key = kdf(self._sm2.multiply(self._d, c1), 16)
            decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
            decryptor.authenticate_additional_data(SEAL_VERSION + c1)
            return decryptor.update(body) + decryptor.finalize()
        except (InvalidTag, ValueError) as exc:
            raise CryptoError(Text("err.base.crypto.sealed")) from exc

    def public_bytes(self) -> bytes:
        return self._public

    def export_secret(self) -> bytes:
        return self._d.to_bytes(COORD, "big")


def _private(secret: bytes) -> int:
    if len(secret) != COORD:
        raise CryptoError(Text("err.base.crypto.sm2_private_size"))
    return int.from_bytes(secret, "big")


class GmSuite(CryptoSuite):
    """SM3, HMAC-SM3, SM2 signatures, SM2 key agreement + SM4-GCM sealing."""

    name = "gm"
    hash_name = "sm3"

    def __init__(self, sm2: Sm2Backend | None = None) -> None:
        self._sm2 = sm2 if sm2 is not None else default_backend()

    @property
    def backend(self) -> str:
        """Which SM2 implementation this suite uses: "tongsuo" or "gmssl"."""
        return self._sm2.name

    @property
    def implementation(self) -> str:
        return f"gm_{self._sm2.name}"

    def hash(self, data: bytes) -> bytes:
        return sm3(data)

    def hmac(self, key: bytes, data: bytes) -> bytes:
        mac = crypto_hmac.HMAC(key, hashes.SM3())
        mac.update(data)
        return mac.finalize()

    def prf_blocks(self, key: bytes, blocks: bytes) -> bytes:
        """SM4 (GB/T 32907) under the key's first 16 bytes."""
        return ecb(algorithms.SM4(prf_key(key, 16)), blocks)

    def new_signing_key(self) -> SigningKey:
        return _Sm2SigningKey(self._sm2, _scalar() % (N - 2) + 1)

    def load_signing_key(self, secret: bytes) -> SigningKey:
        return _Sm2SigningKey(self._sm2, _private(secret))

    def verify(self, public_key: bytes, data: bytes, signature: bytes) -> None:
        check_point(public_key)
        if len(signature) != 2 * COORD:
            raise CryptoError(Text("err.base.crypto.sm2_signature_size"))
        r, s = int.from_bytes(signature[:COORD], "big"), int.from_bytes(signature[COORD:], "big")
        if not (1 <= r < N and 1 <= s < N):
            raise CryptoError(Text("err.base.crypto.sm2_signature_range"))
        if not self._sm2.verify(public_key, data, signature):
            raise CryptoError(Text("err.base.crypto.sm2_signature"))

    def new_sealing_key(self) -> SealingKey:
        return _Sm2SealingKey(self._sm2, _scalar() % (N - 2) + 1)

    def load_sealing_key(self, secret: bytes) -> SealingKey:
        return _Sm2SealingKey(self._sm2, _private(secret))

    def seal(self, public_key: bytes, plaintext: bytes) -> bytes:
        check_point(public_key)
        k = _scalar()
        c1 = self._sm2.multiply(k)
        key = kdf(self._sm2.multiply(k, public_key), 16)
        nonce = secrets.token_bytes(12)
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(SEAL_VERSION + c1)
        body = encryptor.update(plaintext) + encryptor.finalize()
        return SEAL_VERSION + c1 + nonce + body + encryptor.tag
