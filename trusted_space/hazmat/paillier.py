"""Paillier encryption (phe for keys, encryption and decryption; gmpy2 for
homomorphic arithmetic). The only module that imports phe.

Guarantee: IND-CPA under the decisional composite residuosity assumption, for
moduli of at least 2048 bits. Ciphertexts are malleable by design: anyone with
the public key can add ciphertexts and multiply them by public integers, so a
ciphertext proves nothing about who made it. Plaintexts are integers modulo n,
read as signed values in [-n/3, n/3]; a result outside that range is reported
as overflow instead of wrapping silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn

import gmpy2
import phe

from trusted_space.core.errors import CryptoError, WeakKeyError
from trusted_space.core.i18n import Text, t
from trusted_space.hazmat.paillier_noise import (
    OwnerNoise,
    noise_for,
    own,
    releasing_gil,
    take_ahead,
)


@dataclass(frozen=True)
class PaillierPreset:
    name: str
    bits: int
    production: bool


# 2048-bit moduli give about 112-bit security (NIST SP 800-57 Part 1, table 2),
# acceptable through 2030; 3072 bits give about 128-bit security beyond it.
PAILLIER_2048 = PaillierPreset("PAILLIER_2048", 2048, production=True)
PAILLIER_3072 = PaillierPreset("PAILLIER_3072", 3072, production=True)
# Fast keys for unit tests only. Every production path refuses them.
TEST_ONLY_PAILLIER_1024 = PaillierPreset("TEST_ONLY_PAILLIER_1024", 1024, production=False)

MIN_PRODUCTION_BITS = 2048
# The largest modulus accepted from anyone (issue 22, item 7): above every
# preset, and bounding what a consumer's key costs the providers, whose
# every encryption is an exponentiation modulo n^2 (about 8 times the work
# per doubling of n). A 1,048,576-bit key was accepted before.
MAX_BITS = 4096
PRESETS = {p.name: p for p in (PAILLIER_2048, PAILLIER_3072, TEST_ONLY_PAILLIER_1024)}
# Set to 1 in the environment of every process of a test that does not check
# key sizes (a service's space, nodes and clients; an embedded command; a
# notebook's kernel): they then make and accept TEST_ONLY_PAILLIER_1024 keys.
# Never set it in a deployment.
TEST_ONLY_KEYS_ENV = "TSPACE_TEST_ONLY_PAILLIER_1024"


def process_preset() -> PaillierPreset:
    """The preset this process makes keys with: PAILLIER_2048, or the test
    preset under TSPACE_TEST_ONLY_PAILLIER_1024=1."""
    if os.environ.get(TEST_ONLY_KEYS_ENV) == "1":
        return TEST_ONLY_PAILLIER_1024
    return PAILLIER_2048


def process_min_bits() -> int:
    """The smallest Paillier key this process accepts from a consumer."""
    return process_preset().bits


class PaillierPublicKey:
    """The public half; safe to send anywhere."""

    def __init__(self, n: int) -> None:
        if n < 3 or n % 2 == 0:
            raise CryptoError(Text("err.base.paillier.odd_modulus"))
        self._phe = phe.PaillierPublicKey(int(n))
        self.n = gmpy2.mpz(n)
        self.nsquare = self.n * self.n
        self.max_int = self.n // 3
        self.bits = int(self.n.bit_length())
        self.ciphertext_bytes = (int(self.nsquare.bit_length()) + 7) // 8

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PaillierPublicKey) and self.n == other.n

    def __hash__(self) -> int:
        return hash(int(self.n))

    def __repr__(self) -> str:
        return f"<PaillierPublicKey {self.bits} bits>"

    # -- wire form -------------------------------------------------------
    def to_wire(self) -> str:
        return format(int(self.n), "x")

    @classmethod
    def from_wire(
        cls, value: str, *, min_bits: int = MIN_PRODUCTION_BITS, max_bits: int = MAX_BITS
    ) -> PaillierPublicKey:
        # Bounded before it is parsed: a megabit of hex is not read as a number.
        digits = value.lstrip("0") if isinstance(value, str) else ""
        if len(digits) > max_bits // 4 + 1 and digits[0] in "0123456789abcdefABCDEF":
            bits = int(digits[0], 16).bit_length() + 4 * (len(digits) - 1)
            raise CryptoError(t("paillier.too_large", bits=bits, max=max_bits))
        try:
            n = int(value, 16)
        except (TypeError, ValueError) as exc:
            raise CryptoError(Text("err.base.paillier.hex_modulus")) from exc
        key = cls(n)
        if key.bits > max_bits:
            raise CryptoError(t("paillier.too_large", bits=key.bits, max=max_bits))
        if key.bits < min_bits:
            raise WeakKeyError(Text("err.base.paillier.weak", bits=key.bits, min_bits=min_bits))
        return key

    # -- encryption -------------------------------------------------------
    def _encode(self, value: int) -> gmpy2.mpz:
        if not -self.max_int <= value <= self.max_int:
            raise CryptoError(Text("err.base.paillier.plaintext_range"))
        return gmpy2.mpz(value) % self.n

    def zero(self) -> gmpy2.mpz:
        """A fresh, random encryption of zero (the noise of one encryption)."""
        return self.zeros(1)[0]

    def zeros(self, count: int) -> list[gmpy2.mpz]:
        """``count`` fresh encryptions of zero: those computed ahead first (in
        a service process), the rest drawn now (a table is built first when
        that many draws pay for it)."""
        out = take_ahead(self, count)
        if len(out) < count:
            source = noise_for(self, count - len(out))
            out += [source.draw() for _ in range(count - len(out))]
        return out

    def encrypt(self, value: int) -> gmpy2.mpz:
        """Encrypt a signed integer with fresh randomness."""
        m = self._encode(value)
        return (1 + m * self.n) * self.zero() % self.nsquare

    def encrypt_with(self, value: int, zero: gmpy2.mpz) -> gmpy2.mpz:
        """Encrypt with a precomputed encryption of zero from ``zero()``. The
        caller must use each zero once: a zero used twice links the two
        ciphertexts (their quotient is a trivial encryption)."""
        return (1 + self._encode(value) * self.n) * zero % self.nsquare

    def encrypt_many(self, values: Sequence[int]) -> list[gmpy2.mpz]:
        return [
            self.encrypt_with(v, z) for v, z in zip(values, self.zeros(len(values)), strict=True)
        ]

    def rerandomise_many(self, cs: Sequence[gmpy2.mpz]) -> list[gmpy2.mpz]:
        return [c * z % self.nsquare for c, z in zip(cs, self.zeros(len(cs)), strict=True)]

    def encrypt_trivial(self, value: int) -> gmpy2.mpz:
        """(1 + n)^m with no randomness. NOT hiding: only for a constant that is
        added to a ciphertext re-randomised before release."""
        return (1 + self._encode(value) * self.n) % self.nsquare

    # -- homomorphic arithmetic --------------------------------------------
    def check(self, c: int) -> gmpy2.mpz:
        """Refuse anything outside Z*_{n^2}."""
        c = gmpy2.mpz(c)
        if not 0 < c < self.nsquare or gmpy2.gcd(c, self.n) != 1:
            raise CryptoError(Text("err.base.paillier.ciphertext_range"))
        return c

    def add(self, a: gmpy2.mpz, b: gmpy2.mpz) -> gmpy2.mpz:
        return a * b % self.nsquare

    def sum(self, cs: Iterable[gmpy2.mpz]) -> gmpy2.mpz:
        total = gmpy2.mpz(1)
        for c in cs:
            total = total * c % self.nsquare
        return total

    def mul_plain(self, c: gmpy2.mpz, k: int) -> gmpy2.mpz:
        """Enc(m) -> Enc(k * m) for a public signed integer k."""
        if k == 0:
            return gmpy2.mpz(1)
        with releasing_gil():
            if k < 0:
                return gmpy2.powmod(gmpy2.invert(c, self.nsquare), -k, self.nsquare)
            return gmpy2.powmod(c, k, self.nsquare)

    def rerandomise(self, c: gmpy2.mpz) -> gmpy2.mpz:
        """Multiply by a fresh encryption of zero so the result is unlinkable."""
        return c * self.zero() % self.nsquare

    # -- byte form of ciphertext vectors -------------------------------------
    def pack(self, cs: Sequence[int]) -> bytes:
        width = self.ciphertext_bytes
        return b"".join(int(c).to_bytes(width, "big") for c in cs)

    def unpack(self, data: bytes) -> list[gmpy2.mpz]:
        width = self.ciphertext_bytes
        if len(data) % width:
            raise CryptoError(Text("err.base.paillier.block", width=width))
        return [
            self.check(int.from_bytes(data[i : i + width], "big"))
            for i in range(0, len(data), width)
        ]


class PaillierPrivateKey:
    """The secret half. Refuses pickling; export needs ``export_secret()``."""

    def __init__(self, public_key: PaillierPublicKey, p: int, q: int) -> None:
        if p * q != public_key.n:
            raise CryptoError(Text("err.base.paillier.factors"))
        self.public_key = public_key
        self._phe = phe.PaillierPrivateKey(public_key._phe, int(p), int(q))
        # decrypt_below works modulo the smaller prime alone.
        small = min(int(p), int(q))
        self._p = gmpy2.mpz(small)
        self._psquare = self._p * self._p
        self._hp = gmpy2.mpz(self._phe.h_function(small, small * small))
        self._noise: OwnerNoise | None = None

    def __reduce__(self) -> NoReturn:
        raise TypeError("PaillierPrivateKey holds secret material and cannot be pickled")

    def __repr__(self) -> str:
        return f"<PaillierPrivateKey {self.public_key.bits} bits>"

    def decrypt(self, c: int) -> int:
        """The signed plaintext of a ciphertext under this key."""
        c = self.public_key.check(c)
        with releasing_gil():
            m = gmpy2.mpz(self._phe.raw_decrypt(int(c)))
        n = self.public_key.n
        if m <= self.public_key.max_int:
            return int(m)
        if m >= n - self.public_key.max_int:
            return int(m - n)
        raise CryptoError(Text("err.base.paillier.signed_overflow"))

    def decrypt_below(self, c: int, bits: int) -> int:
        """``decrypt`` for a plaintext known to satisfy |m| < 2^bits (a score,
        a packed block of feature slots): m is recovered modulo the prime p
        alone, half the work, when 2^bits is well below p. A plaintext
        outside the range is reported as overflow, never misread: m mod p of
        a larger m lands in it with probability about 2^(bits + 1 - |p|)."""
        p = self._p
        if bits > int(p.bit_length()) - 64:
            m = self.decrypt(c)
            if abs(m) >= 1 << bits:
                raise CryptoError(Text("err.base.paillier.declared_overflow"))
            return m
        c = self.public_key.check(c)
        with releasing_gil():
            u = gmpy2.powmod(c, p - 1, self._psquare)
        m = (u - 1) // p * self._hp % p
        if m > p // 2:
            m -= p
        if abs(m) >> bits:
            raise CryptoError(Text("err.base.paillier.declared_overflow"))
        return int(m)

    # -- encryption by the key's owner ---------------------------------------
    def zeros(self, count: int) -> list[gmpy2.mpz]:
        """``count`` fresh encryptions of zero under this key, drawn by its
        owner (``OwnerNoise``: 3.4x cheaper than the public key's draw):
        those computed ahead first (in a service process, whose pool for
        this key is then filled with the owner's draws too), the rest now."""
        if self._noise is None:
            self._noise = OwnerNoise(
                self.public_key.n, gmpy2.mpz(self._phe.p), gmpy2.mpz(self._phe.q)
            )
            own(self.public_key, self._noise)
        out = take_ahead(self.public_key, count)
        out += [self._noise.draw() for _ in range(count - len(out))]
        return out

    def encrypt_many(self, values: Sequence[int]) -> list[gmpy2.mpz]:
        """The public key's ``encrypt_many``, the same ciphertexts in
        distribution, at the owner's cost."""
        pk = self.public_key
        return [pk.encrypt_with(v, z) for v, z in zip(values, self.zeros(len(values)), strict=True)]

    def export_secret(self) -> dict[str, str]:
        return {"p": format(self._phe.p, "x"), "q": format(self._phe.q, "x")}

    @classmethod
    def import_secret(cls, secret: dict[str, str]) -> PaillierPrivateKey:
        p, q = int(secret["p"], 16), int(secret["q"], 16)
        return cls(PaillierPublicKey(p * q), p, q)


def generate_keypair(
    preset: PaillierPreset = PAILLIER_2048,
) -> tuple[PaillierPublicKey, PaillierPrivateKey]:
    pub, priv = phe.generate_paillier_keypair(n_length=preset.bits)
    public = PaillierPublicKey(pub.n)
    return public, PaillierPrivateKey(public, priv.p, priv.q)


def require_production(preset: PaillierPreset) -> None:
    if not preset.production or preset.bits < MIN_PRODUCTION_BITS:
        raise WeakKeyError(Text("err.base.paillier.test_preset", preset=preset.name))
