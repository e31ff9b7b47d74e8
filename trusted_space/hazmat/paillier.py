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

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import gmpy2
import phe

from trusted_space.errors import CryptoError, WeakKeyError


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
PRESETS = {p.name: p for p in (PAILLIER_2048, PAILLIER_3072, TEST_ONLY_PAILLIER_1024)}


class PaillierPublicKey:
    """The public half; safe to send anywhere."""

    def __init__(self, n: int) -> None:
        if n < 3 or n % 2 == 0:
            raise CryptoError("a Paillier modulus must be an odd integer")
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
    def from_wire(cls, value: str, *, min_bits: int = MIN_PRODUCTION_BITS) -> PaillierPublicKey:
        try:
            n = int(value, 16)
        except (TypeError, ValueError) as exc:
            raise CryptoError("a Paillier public key must be a hex modulus") from exc
        key = cls(n)
        if key.bits < min_bits:
            raise WeakKeyError(
                f"Paillier key of {key.bits} bits refused: at least {min_bits} are required"
            )
        return key

    # -- encryption -------------------------------------------------------
    def _encode(self, value: int) -> gmpy2.mpz:
        if not -self.max_int <= value <= self.max_int:
            raise CryptoError("plaintext outside the signed range of this key")
        return gmpy2.mpz(value) % self.n

    def zero(self) -> gmpy2.mpz:
        """A fresh, random encryption of zero (the noise of one encryption)."""
        return noise_for(self).draw()

    def zeros(self, count: int) -> list[gmpy2.mpz]:
        """``count`` fresh encryptions of zero (a table is built first when
        that many draws pay for it)."""
        source = noise_for(self, count)
        return [source.draw() for _ in range(count)]

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
            raise CryptoError("ciphertext outside Z*_{n^2}")
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
        with _releasing_gil():
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
            raise CryptoError(f"ciphertext block is not a multiple of {width} bytes")
        return [
            self.check(int.from_bytes(data[i : i + width], "big"))
            for i in range(0, len(data), width)
        ]


class PaillierPrivateKey:
    """The secret half. Refuses pickling; export needs ``export_secret()``."""

    def __init__(self, public_key: PaillierPublicKey, p: int, q: int) -> None:
        if p * q != public_key.n:
            raise CryptoError("p * q does not match the public modulus")
        self.public_key = public_key
        self._phe = phe.PaillierPrivateKey(public_key._phe, int(p), int(q))

    def __reduce__(self) -> NoReturn:
        raise TypeError("PaillierPrivateKey holds secret material and cannot be pickled")

    def __repr__(self) -> str:
        return f"<PaillierPrivateKey {self.public_key.bits} bits>"

    def decrypt(self, c: int) -> int:
        """The signed plaintext of a ciphertext under this key."""
        c = self.public_key.check(c)
        with _releasing_gil():
            m = gmpy2.mpz(self._phe.raw_decrypt(int(c)))
        n = self.public_key.n
        if m <= self.public_key.max_int:
            return int(m)
        if m >= n - self.public_key.max_int:
            return int(m - n)
        raise CryptoError("decrypted value overflowed the signed range")

    def export_secret(self) -> dict[str, str]:
        return {"p": format(self._phe.p, "x"), "q": format(self._phe.q, "x")}

    @classmethod
    def import_secret(cls, secret: dict[str, str]) -> PaillierPrivateKey:
        p, q = int(secret["p"], 16), int(secret["q"], 16)
        return cls(PaillierPublicKey(p * q), p, q)


def _releasing_gil() -> Any:
    """A block in which gmpy2's operations on big numbers let other threads
    run: a space answering requests while it re-randomises or builds a
    table, a node's threads decrypting side by side. gmpy2 keeps its
    settings per thread, so each call sets this for its own block only."""
    return gmpy2.context(allow_release_gil=True)


class StandardNoise:
    """r^n mod n^2 for r uniform in Z*_n: textbook Paillier randomness."""

    def __init__(self, public_key: PaillierPublicKey) -> None:
        self.n, self.nsquare = public_key.n, public_key.nsquare

    def draw(self) -> gmpy2.mpz:
        r = gmpy2.mpz(secrets.randbelow(int(self.n) - 1) + 1)
        with _releasing_gil():
            return gmpy2.powmod(r, self.n, self.nsquare)


class FixedBaseNoise:
    """g^x mod n^2 with g = y^n for a secret random y and x uniform over
    ``2|n| + 128`` bits, from a table of g^(j * 256^i): about 530 modular
    multiplications instead of one exponentiation by n (3x faster at 2048
    bits, after a table built once per key and process in about 0.7 s).

    Security: IND-CPA under DCR, the assumption of textbook Paillier, with no
    short exponent. Hybrid 1 replaces g, a random n-th residue, by a uniform
    element of Z*_{n^2}; telling the two apart is the DCR problem (the
    reduction draws every x itself and never needs g's discrete logarithm).
    A uniform g is (1+n)^a * t^n with a uniform in Z_n, so g^x carries the
    factor (1+n)^(a*x). The order of g divides n * ord(t) < n^2, and
    gcd(n, ord(t)) = 1, so for x uniform over 2|n| + 128 bits the pair
    (x mod n, x mod ord(t)) is within 2^-128 of uniform and independent: a*x
    mod n is then uniform and independent of t^x, which hides the plaintext
    perfectly, afresh for every draw. (With x of only |n| + 128 bits the two
    residues would not be independent and the argument would fail; that
    shorter exponent is the "short-exponent" assumption this class avoids.)
    Needs y secret to everyone else: each process draws its own y per key and
    never sends g. Memory: about 75 MB per 2048-bit key.
    """

    WINDOW_BITS = 8
    STATISTICAL_BITS = 128

    def __init__(self, public_key: PaillierPublicKey) -> None:
        n, n2 = public_key.n, public_key.nsquare
        self.nsquare = n2
        y = gmpy2.mpz(secrets.randbelow(int(n) - 1) + 1)
        base = gmpy2.powmod(y, n, n2)
        self.digits = (2 * public_key.bits + self.STATISTICAL_BITS + 7) // 8
        self.table: list[list[gmpy2.mpz]] = []
        with _releasing_gil():  # a build in the background must not stall other threads
            for _ in range(self.digits):
                row = [gmpy2.mpz(1)]
                acc = gmpy2.mpz(1)
                for _ in range(255):
                    acc = acc * base % n2
                    row.append(acc)
                self.table.append(row)
                base = acc * base % n2  # base^256 for the next digit

    def draw(self) -> gmpy2.mpz:
        acc = gmpy2.mpz(1)
        n2 = self.nsquare
        with _releasing_gil():
            for row, digit in zip(self.table, secrets.token_bytes(self.digits), strict=True):
                if digit:
                    acc = acc * row[digit] % n2
        return acc


# Per process: noise sources per key. A key used often enough that a table
# pays for its ~0.7 s build (about 75 textbook draws) gets one: built at once
# when one call asks for that many draws (bulk work), else in a background
# thread while textbook draws go on, so no single request waits for it.
TABLE_AFTER_USES = 80
_NOISE_CACHE_SIZE = 4
_noise: OrderedDict[int, StandardNoise | FixedBaseNoise] = OrderedDict()
_uses: dict[int, int] = {}
_building: set[int] = set()
_noise_lock = threading.Lock()


def noise_for(public_key: PaillierPublicKey, draws: int = 1) -> StandardNoise | FixedBaseNoise:
    """The noise source for ``draws`` draws under ``public_key``."""
    key = int(public_key.n)
    with _noise_lock:
        uses = _uses[key] = _uses.get(key, 0) + draws
        source = _noise.get(key)
        if source is not None:
            _noise.move_to_end(key)
        if isinstance(source, FixedBaseNoise):
            return source
        busy = uses >= TABLE_AFTER_USES and key not in _building
        now = busy and draws >= TABLE_AFTER_USES
        later = busy and not now
        if busy:
            _building.add(key)
        if source is None:
            source = _keep(key, StandardNoise(public_key))
    if now:
        return _build_table(public_key)
    if later:
        threading.Thread(
            target=_build_table, args=(public_key,), name="paillier-table", daemon=True
        ).start()
    return source


def _keep(key: int, source: StandardNoise | FixedBaseNoise) -> StandardNoise | FixedBaseNoise:
    """Cache a key's source, forgetting the least recently used keys (with _noise_lock held)."""
    _noise[key] = source
    while len(_noise) > _NOISE_CACHE_SIZE:
        old, _ = _noise.popitem(last=False)
        _uses.pop(old, None)
    return source


def _build_table(public_key: PaillierPublicKey) -> FixedBaseNoise:
    key = int(public_key.n)
    try:
        table = FixedBaseNoise(public_key)
        with _noise_lock:
            _keep(key, table)
        return table
    finally:
        with _noise_lock:
            _building.discard(key)


def generate_keypair(
    preset: PaillierPreset = PAILLIER_2048,
) -> tuple[PaillierPublicKey, PaillierPrivateKey]:
    pub, priv = phe.generate_paillier_keypair(n_length=preset.bits)
    public = PaillierPublicKey(pub.n)
    return public, PaillierPrivateKey(public, priv.p, priv.q)


def require_production(preset: PaillierPreset) -> None:
    if not preset.production or preset.bits < MIN_PRODUCTION_BITS:
        raise WeakKeyError(
            f"{preset.name} is a test preset; production paths need 2048 bits or more"
        )
