"""The national (商用密码) suite ``gm``: SM3, HMAC-SM3, SM2 signatures, SM2 + SM4 sealing.

- ``hash``: SM3 (GB/T 32905), from ``cryptography`` (OpenSSL).
- ``hmac``: HMAC-SM3, from ``cryptography``.
- ``sign``/``verify``: SM2 signatures (GB/T 32918.2) on the recommended curve
  with the standard user id ``1234567812345678``; the curve arithmetic and
  the Z value come from ``gmssl`` (pure Python); the per-signature nonce is
  drawn here from ``secrets`` (gmssl's own helper uses ``random``, which is
  not a cryptographic generator, so it is never called). Signatures are the
  64 bytes r || s; public keys the 64 bytes x || y.
- ``seal``/``open``: an ephemeral SM2 key agreement with the recipient's key
  (C1 = kG, the shared point kP), the SM3 key-derivation function of
  GB/T 32918.4 over x2 || y2, and SM4-GCM (``cryptography``) over the
  message, authenticated with C1 as associated data. gmssl's own SM2
  encryption is not used: it draws k from ``random`` and feeds the KDF the
  hex text of the point instead of its bytes.

docs/crypto-suites.md says why these libraries and what stays on
international algorithms (openmined-psi's P-256 ECDH, Paillier).
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl.sm2 import CryptSM2, default_ecc_table

from trusted_space.core.errors import CryptoError
from trusted_space.crypto.suite import CryptoSuite, SealingKey, SigningKey

N = int(default_ecc_table["n"], 16)
P = int(default_ecc_table["p"], 16)
A = int(default_ecc_table["a"], 16)
B = int(default_ecc_table["b"], 16)
G = default_ecc_table["g"]
COORD = 32  # bytes per coordinate
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


def _gmssl(public_hex: str, private_hex: str = "") -> CryptSM2:
    """gmssl's SM2 object for a key. Its constructor mangles a public key
    whose hex starts with "04" (it lstrips every leading '0' and '4', taking
    them for an uncompressed-point prefix), so the key is set afterwards."""
    sm2 = CryptSM2(public_key="", private_key=private_hex)
    sm2.public_key = public_hex
    return sm2


def _mul(k: int, point_hex: str) -> str:
    """k * point on the SM2 curve, as the hex of x || y."""
    return str(CryptSM2(public_key="", private_key="")._kg(k, point_hex))


def _check_point(public: bytes) -> str:
    """The hex of a public key after checking it lies on the curve."""
    if len(public) != 2 * COORD:
        raise CryptoError("an SM2 public key is 64 bytes (x || y)")
    x, y = int.from_bytes(public[:COORD], "big"), int.from_bytes(public[COORD:], "big")
    if not (0 <= x < P and 0 <= y < P) or (y * y - x * x * x - A * x - B) % P:
        raise CryptoError("not a point of the SM2 curve")
    return public.hex()


class _Sm2SigningKey(SigningKey):
    def __init__(self, d: int) -> None:
        if not 1 <= d < N - 1:
            raise CryptoError("not an SM2 private key")
        self._d = d
        self._public = _mul(d, G)
        self._sm2 = _gmssl(self._public, format(d, "064x"))

    def sign(self, data: bytes) -> bytes:
        return self._sign_with_nonce(data, _scalar())

    def _sign_with_nonce(self, data: bytes, k: int) -> bytes:
        """Known-answer tests only: a fixed nonce k reveals the key if reused."""
        return bytes.fromhex(self._sm2.sign_with_sm3(data, format(k, "064x")))

    def public_bytes(self) -> bytes:
        return bytes.fromhex(self._public)

    def export_secret(self) -> bytes:
        return self._d.to_bytes(COORD, "big")


class _Sm2SealingKey(SealingKey):
    def __init__(self, d: int) -> None:
        if not 1 <= d < N - 1:
            raise CryptoError("not an SM2 private key")
        self._d = d
        self._public = _mul(d, G)

    def open(self, sealed: bytes) -> bytes:
        if len(sealed) < 1 + 2 * COORD + 12 + 16 or sealed[:1] != SEAL_VERSION:
            raise CryptoError("sealed message cannot be opened with this key")
        c1 = sealed[1 : 1 + 2 * COORD]
        nonce = sealed[1 + 2 * COORD : 1 + 2 * COORD + 12]
        body, tag = sealed[1 + 2 * COORD + 12 : -16], sealed[-16:]
        try:
            shared = bytes.fromhex(_mul(self._d, _check_point(c1)))
            key = kdf(shared, 16)
            decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
            decryptor.authenticate_additional_data(SEAL_VERSION + c1)
            return decryptor.update(body) + decryptor.finalize()
        except (InvalidTag, ValueError) as exc:
            raise CryptoError("sealed message cannot be opened with this key") from exc

    def public_bytes(self) -> bytes:
        return bytes.fromhex(self._public)

    def export_secret(self) -> bytes:
        return self._d.to_bytes(COORD, "big")


def _private(secret: bytes) -> int:
    if len(secret) != COORD:
        raise CryptoError("an SM2 private key is 32 bytes")
    return int.from_bytes(secret, "big")


class GmSuite(CryptoSuite):
    """SM3, HMAC-SM3, SM2 signatures, SM2 key agreement + SM4-GCM sealing."""

    name = "gm"
    hash_name = "sm3"

    def hash(self, data: bytes) -> bytes:
        return sm3(data)

    def hmac(self, key: bytes, data: bytes) -> bytes:
        mac = crypto_hmac.HMAC(key, hashes.SM3())
        mac.update(data)
        return mac.finalize()

    def new_signing_key(self) -> SigningKey:
        return _Sm2SigningKey(_scalar() % (N - 2) + 1)

    def load_signing_key(self, secret: bytes) -> SigningKey:
        return _Sm2SigningKey(_private(secret))

    def verify(self, public_key: bytes, data: bytes, signature: bytes) -> None:
        public = _check_point(public_key)
        if len(signature) != 2 * COORD:
            raise CryptoError("an SM2 signature is 64 bytes (r || s)")
        r, s = int.from_bytes(signature[:COORD], "big"), int.from_bytes(signature[COORD:], "big")
        if not (1 <= r < N and 1 <= s < N):
            raise CryptoError("SM2 signature out of range")
        if not _gmssl(public).verify_with_sm3(signature.hex(), data):
            raise CryptoError("SM2 signature does not verify")

    def new_sealing_key(self) -> SealingKey:
        return _Sm2SealingKey(_scalar() % (N - 2) + 1)

    def load_sealing_key(self, secret: bytes) -> SealingKey:
        return _Sm2SealingKey(_private(secret))

    def seal(self, public_key: bytes, plaintext: bytes) -> bytes:
        recipient = _check_point(public_key)
        k = _scalar()
        c1 = bytes.fromhex(_mul(k, G))
        shared = bytes.fromhex(_mul(k, recipient))
        key = kdf(shared, 16)
        nonce = secrets.token_bytes(12)
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(SEAL_VERSION + c1)
        body = encryptor.update(plaintext) + encryptor.finalize()
        return SEAL_VERSION + c1 + nonce + body + encryptor.tag
