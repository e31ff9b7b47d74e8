"""The fast noise source: correct, fresh on every draw, and used once a key is busy."""

from __future__ import annotations

import time

import gmpy2
import pytest

from trusted_space import parallel
from trusted_space.hazmat.paillier import (
    TABLE_AFTER_USES,
    TEST_ONLY_PAILLIER_1024,
    FixedBaseNoise,
    StandardNoise,
    generate_keypair,
    noise_for,
)


def test_fixed_base_noise_encrypts_zero_and_never_repeats() -> None:
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    noise = FixedBaseNoise(pk)
    draws = [noise.draw() for _ in range(50)]
    assert len(set(draws)) == 50
    for r in draws[:5]:
        assert sk.decrypt(r) == 0
        assert gmpy2.gcd(r, pk.n) == 1
    c = (1 + 41 * pk.n) * draws[7] % pk.nsquare
    assert sk.decrypt(c) == 41


def test_the_table_matches_plain_exponentiation() -> None:
    pk, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)
    noise = FixedBaseNoise(pk)
    base = noise.table[0][1]
    exponent = bytes([3, 0, 255] + [0] * (noise.digits - 3))
    acc = gmpy2.mpz(1)
    for row, digit in zip(noise.table, exponent, strict=True):
        if digit:
            acc = acc * row[digit] % pk.nsquare
    assert acc == gmpy2.powmod(base, 3 + 255 * 256**2, pk.nsquare)


def test_a_busy_key_moves_to_the_table_without_a_draw_waiting() -> None:
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    assert isinstance(noise_for(pk), StandardNoise)
    for _ in range(TABLE_AFTER_USES - 1):
        noise_for(pk)
    # The use that crosses the threshold starts the build and still gets a
    # textbook source; draws go on while the table is built.
    assert isinstance(noise_for(pk), StandardNoise)
    assert sk.decrypt(pk.encrypt(7)) == 7
    deadline = time.monotonic() + 60
    while not isinstance(noise_for(pk), FixedBaseNoise):
        assert time.monotonic() < deadline, "the table was never built"
        time.sleep(0.05)
    assert sk.decrypt(pk.encrypt(-12345)) == -12345


def test_bulk_draws_build_the_table_first() -> None:
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    assert isinstance(noise_for(pk, TABLE_AFTER_USES), FixedBaseNoise)
    values = list(range(-50, 50))
    assert [sk.decrypt(c) for c in pk.encrypt_many(values)] == values
    cts = pk.encrypt_many([5] * 20)
    fresh = pk.rerandomise_many(cts)
    assert len({int(c) for c in cts + fresh}) == 40
    assert {sk.decrypt(c) for c in fresh} == {5}


def test_the_exponent_is_twice_the_modulus_plus_statistical_margin() -> None:
    # A shorter exponent would need the short-exponent assumption (see the
    # FixedBaseNoise docstring); this guards the length the proof relies on.
    pk, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)
    noise = FixedBaseNoise(pk)
    assert noise.digits * 8 >= 2 * pk.bits + 128
    assert len(noise.table) == noise.digits


def test_precomputed_zeros_encrypt_and_are_each_used_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "INLINE_BELOW", 4)
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    zeros = parallel.zeros(pk, 40)  # on the worker pool
    assert len({int(z) for z in zeros}) == 40
    values = list(range(-20, 20))
    cts = parallel.combine(pk, values, zeros)
    assert [sk.decrypt(c) for c in cts] == values
    with pytest.raises(ValueError, match="one precomputed zero"):
        parallel.combine(pk, values, zeros[:-1])
