"""SM2 curve arithmetic and signatures for the ``gm`` suite: two backends, one rule.

- ``tongsuo``: Tongsuo's C code through ``tongsuopy`` (a runtime dependency
  wherever it publishes a wheel: Linux x86_64, macOS, Windows x86/x64).
  Signatures are its SM2 (``ECDSA(SM3())`` on ``ec.SM2()``, standard user id
  ``1234567812345678``), the nonce drawn inside Tongsuo. Multiplications of a
  point by a secret scalar (k·G and k·P when sealing, d·C1 when opening) are
  Tongsuo's ``EC_POINT_mul`` through tongsuopy's cffi binding, which takes
  OpenSSL 1.1.1's Montgomery ladder (``ec_scalar_mul_ladder``: the same
  sequence of operations for every scalar, projective coordinates blinded)
  for a single secret scalar, whether the point is the generator or not.
  This is the call OpenSSL's own ECDH makes; tongsuopy's ``exchange`` cannot
  be used, as Tongsuo refuses ``EVP_PKEY_derive`` on SM2 keys (and would
  return only x2, where the GB/T 32918.4 KDF needs x2 || y2).
- ``gmssl``: the pure-Python ``gmssl`` 3.2, the fallback only where Tongsuo
  has no wheel (Linux aarch64 and others); slower, and its scalar
  multiplication is not constant-time (docs/crypto-suites.md).

The rule (``default_backend``): Tongsuo whenever ``tongsuopy`` imports,
otherwise gmssl. ``GmSuite.backend`` names the one in use; ``tspace keys show``
prints it. Both give the same bytes: public keys x || y, signatures r || s,
the same points; tests/unit/test_crypto_gm.py checks each against the other.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from trusted_space.core.errors import CryptoError
from trusted_space.core.i18n import Text

# The recommended curve of GB/T 32918.5.
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
COORD = 32  # bytes per coordinate
USER_ID = b"1234567812345678"  # the standard's default user id


def _sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def check_point(public: bytes) -> None:
    """Raise unless ``public`` is x || y of a point on the curve (the
    cofactor is 1: every such point is in the prime-order group)."""
    if len(public) != 2 * COORD:
        raise CryptoError(Text("err.base.crypto.sm2_public_size"))
    x, y = int.from_bytes(public[:COORD], "big"), int.from_bytes(public[COORD:], "big")
    if not (0 <= x < P and 0 <= y < P) or (y * y - x * x * x - A * x - B) % P:
        raise CryptoError(Text("err.base.crypto.sm2_point"))


def z_value(public: bytes, user_id: bytes = USER_ID) -> bytes:
    """Z_A of GB/T 32918.2: SM3(ENTL || ID || a || b || xG || yG || xA || yA)."""
    parts = [A, B, GX, GY]
    return _sm3(
        (8 * len(user_id)).to_bytes(2, "big")
        + user_id
        + b"".join(v.to_bytes(COORD, "big") for v in parts)
        + public
    )


class Sm2Backend(ABC):
    """The SM2 operations the suite needs. Scalars are ints in [1, n - 2];
    points are the 64 bytes x || y, checked to be on the curve by the caller."""

    name: str

    def __reduce__(self) -> tuple[type[Sm2Backend], tuple[()]]:
        """Pickled by class: a process rebuilds its own (the C objects stay)."""
        return (type(self), ())

    @abstractmethod
    def multiply(self, scalar: int, point: bytes | None = None) -> bytes:
        """scalar · point (the generator when ``point`` is None), as x || y."""

    @abstractmethod
    def signer(self, d: int) -> Any:
        """An object the backend signs with for private key d (kept by the key)."""

    @abstractmethod
    def sign(self, signer: Any, data: bytes) -> bytes:
        """A fresh SM2 signature r || s of ``data`` (nonce from a CSPRNG)."""

    @abstractmethod
    def verify(self, public: bytes, data: bytes, signature: bytes) -> bool: ...

    def sign_with_nonce(self, d: int, data: bytes, k: int) -> bytes:
        """Known-answer tests only (a fixed nonce reveals the key if reused):
        the signature of GB/T 32918.2 section 6.1 with nonce k, k·G from
        this backend."""
        public = self.multiply(d)
        e = int.from_bytes(_sm3(z_value(public) + data), "big")
        x1 = int.from_bytes(self.multiply(k)[:COORD], "big")
        r = (e + x1) % N
        s = pow(1 + d, -1, N) * (k - r * d) % N
        return r.to_bytes(COORD, "big") + s.to_bytes(COORD, "big")


class TongsuoSm2(Sm2Backend):
    """Tongsuo (C): signatures through tongsuopy's API, secret-scalar
    multiplications through its binding's ``EC_POINT_mul`` (a ladder)."""

    name = "tongsuo"

    def __init__(self) -> None:
        from tongsuopy.backends.tongsuo.binding import Binding
        from tongsuopy.crypto import hashes as ts_hashes
        from tongsuopy.crypto.asymciphers import ec as ts_ec

        self._ec = ts_ec
        self._algorithm = ts_ec.ECDSA(ts_hashes.SM3())
        binding = Binding()
        self._lib, self._ffi = binding.lib, binding.ffi
        nid = self._lib.OBJ_sn2nid(b"SM2")
        group = self._lib.EC_GROUP_new_by_curve_name(nid)
        if group == self._ffi.NULL:
            raise ImportError("this Tongsuo has no SM2 curve")
        self._group = self._ffi.gc(group, self._lib.EC_GROUP_free)
        self._public_key = lru_cache(maxsize=256)(self._load_public)

    def multiply(self, scalar: int, point: bytes | None = None) -> bytes:
        lib, ffi = self._lib, self._ffi
        bn = lib.BN_bin2bn(scalar.to_bytes(COORD, "big"), COORD, ffi.NULL)
        if bn == ffi.NULL:
            raise MemoryError
        bn = ffi.gc(bn, lib.BN_clear_free)
        lib.BN_set_flags(bn, lib.BN_FLG_CONSTTIME)
        ctx = ffi.gc(lib.BN_CTX_new(), lib.BN_CTX_free)
        result = ffi.gc(lib.EC_POINT_new(self._group), lib.EC_POINT_clear_free)
        if point is None:
            ok = lib.EC_POINT_mul(self._group, result, bn, ffi.NULL, ffi.NULL, ctx)
        else:
            q = ffi.gc(lib.EC_POINT_new(self._group), lib.EC_POINT_free)
            encoded = b"\x04" + point
            if lib.EC_POINT_oct2point(self._group, q, encoded, len(encoded), ctx) != 1:
                _clear_errors(lib)
                raise CryptoError(Text("err.base.crypto.sm2_point"))
            ok = lib.EC_POINT_mul(self._group, result, ffi.NULL, q, bn, ctx)
        if ok != 1 or lib.EC_POINT_is_at_infinity(self._group, result):
            _clear_errors(lib)
            raise CryptoError(Text("err.base.crypto.sm2_scalar_mult"))
        out = ffi.new("unsigned char[]", 1 + 2 * COORD)
        written = lib.EC_POINT_point2oct(
            self._group, result, lib.POINT_CONVERSION_UNCOMPRESSED, out, 1 + 2 * COORD, ctx
        )
        if written != 1 + 2 * COORD:
            _clear_errors(lib)
            raise CryptoError(Text("err.base.crypto.sm2_scalar_mult"))
        return bytes(ffi.buffer(out, 1 + 2 * COORD))[1:]

    def signer(self, d: int) -> Any:
        return self._ec.derive_private_key(d, self._ec.SM2())

    def sign(self, signer: Any, data: bytes) -> bytes:
        r, s = decode_dss_signature(signer.sign(data, self._algorithm))
        return r.to_bytes(COORD, "big") + s.to_bytes(COORD, "big")

    def _load_public(self, public: bytes) -> Any:
        x, y = int.from_bytes(public[:COORD], "big"), int.from_bytes(public[COORD:], "big")
        return self._ec.EllipticCurvePublicNumbers(x, y, self._ec.SM2()).public_key()

    def verify(self, public: bytes, data: bytes, signature: bytes) -> bool:
        from tongsuopy.crypto.exceptions import InvalidSignature

        r, s = int.from_bytes(signature[:COORD], "big"), int.from_bytes(signature[COORD:], "big")
        try:
            self._public_key(public).verify(encode_dss_signature(r, s), data, self._algorithm)
        except (InvalidSignature, ValueError):
            return False
        return True


def _clear_errors(lib: Any) -> None:
    """Empty OpenSSL's error queue (tongsuopy asserts it is empty later)."""
    while lib.ERR_get_error() != 0:
        pass


class GmsslSm2(Sm2Backend):
    """gmssl 3.2 (pure Python, not constant-time): the fallback. Its nonce
    helper (``random``) and its SM2 encryption are never used."""

    name = "gmssl"

    def __init__(self) -> None:
        from gmssl.sm2 import CryptSM2

        self._crypt = CryptSM2

    def _object(self, public_hex: str, private_hex: str = "") -> Any:
        # gmssl's constructor strips every leading '0' and '4' of a public key
        # (taking them for a point prefix): the key is set afterwards.
        sm2 = self._crypt(public_key="", private_key=private_hex)
        sm2.public_key = public_hex
        return sm2

    def multiply(self, scalar: int, point: bytes | None = None) -> bytes:
        base = point.hex() if point is not None else format(GX, "064x") + format(GY, "064x")
        return bytes.fromhex(self._crypt(public_key="", private_key="")._kg(scalar, base))

    def signer(self, d: int) -> Any:
        return self._object(self.multiply(d).hex(), format(d, "064x"))

    def sign(self, signer: Any, data: bytes) -> bytes:
        k = secrets.randbelow(N - 1) + 1
        return bytes.fromhex(signer.sign_with_sm3(data, format(k, "064x")))

    def verify(self, public: bytes, data: bytes, signature: bytes) -> bool:
        return bool(self._object(public.hex()).verify_with_sm3(signature.hex(), data))


def default_backend() -> Sm2Backend:
    """The rule: Tongsuo whenever tongsuopy imports, otherwise gmssl."""
    try:
        return TongsuoSm2()
    except ImportError:
        return GmsslSm2()
