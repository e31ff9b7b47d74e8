"""Paillier: homomorphic arithmetic, signed range, key and ciphertext checks."""

from __future__ import annotations

import pickle

import pytest

from trusted_space.core.errors import CryptoError, WeakKeyError
from trusted_space.hazmat.paillier import (
    PAILLIER_2048,
    TEST_ONLY_PAILLIER_1024,
    PaillierPrivateKey,
    PaillierPublicKey,
    generate_keypair,
    require_production,
)


@pytest.fixture(scope="module")
def keys() -> tuple[PaillierPublicKey, PaillierPrivateKey]:
    return generate_keypair(TEST_ONLY_PAILLIER_1024)


def test_add_and_multiply_by_public_integers(
    keys: tuple[PaillierPublicKey, PaillierPrivateKey],
) -> None:
    pk, sk = keys
    a, b = pk.encrypt(1234), pk.encrypt(-5678)
    assert sk.decrypt(pk.add(a, b)) == 1234 - 5678
    assert sk.decrypt(pk.mul_plain(a, 10**15)) == 1234 * 10**15
    assert sk.decrypt(pk.mul_plain(b, -3)) == 5678 * 3
    assert sk.decrypt(pk.mul_plain(b, 0)) == 0
    assert sk.decrypt(pk.sum([a, b, pk.encrypt(1)])) == 1234 - 5678 + 1


def test_encryption_is_randomised_and_rerandomisation_unlinks(
    keys: tuple[PaillierPublicKey, PaillierPrivateKey],
) -> None:
    pk, sk = keys
    c1, c2 = pk.encrypt(7), pk.encrypt(7)
    assert c1 != c2
    r = pk.rerandomise(c1)
    assert r != c1 and sk.decrypt(r) == 7
    trivial = pk.encrypt_trivial(7)
    assert sk.decrypt(trivial) == 7 and pk.rerandomise(trivial) != trivial


def test_signed_range_is_enforced(keys: tuple[PaillierPublicKey, PaillierPrivateKey]) -> None:
    pk, sk = keys
    with pytest.raises(CryptoError):
        pk.encrypt(int(pk.max_int) + 1)
    big = pk.encrypt(int(pk.max_int))
    with pytest.raises(CryptoError, match="overflow"):
        sk.decrypt(pk.add(big, big))


def test_decrypt_below_reads_small_plaintexts_and_reports_larger_ones(
    keys: tuple[PaillierPublicKey, PaillierPrivateKey],
) -> None:
    pk, sk = keys
    values = [0, 1, -1, 10**17 * 42, -(2**200), 2**255 - 1, -(2**255) + 1]
    assert [sk.decrypt_below(pk.encrypt(v), 256) for v in values] == values
    # A sum of ciphertexts, as the space releases a score.
    assert sk.decrypt_below(pk.sum([pk.encrypt(-5), pk.encrypt(3)]), 256) == -2
    # Outside the declared range: overflow, whether just past it or far past.
    for v in (2**256, -(2**256), 2**400, int(pk.max_int)):
        with pytest.raises(CryptoError, match="overflow"):
            sk.decrypt_below(pk.encrypt(v), 256)
    # A range too wide for one prime falls back to the whole decryption.
    wide = 2**600 + 12345
    assert sk.decrypt_below(pk.encrypt(wide), 601) == wide
    with pytest.raises(CryptoError, match="overflow"):
        sk.decrypt_below(pk.encrypt(wide), 600)


def test_ciphertexts_outside_the_group_are_refused(
    keys: tuple[PaillierPublicKey, PaillierPrivateKey],
) -> None:
    pk, _ = keys
    for bad in (0, int(pk.nsquare), int(pk.nsquare) + 5, int(pk.n)):
        with pytest.raises(CryptoError, match="outside"):
            pk.check(bad)
    with pytest.raises(CryptoError):
        pk.unpack(b"\x00" * pk.ciphertext_bytes)
    with pytest.raises(CryptoError, match="multiple"):
        pk.unpack(b"\x01" * (pk.ciphertext_bytes + 1))


def test_pack_and_unpack_round_trip(keys: tuple[PaillierPublicKey, PaillierPrivateKey]) -> None:
    pk, sk = keys
    cts = [pk.encrypt(v) for v in (0, 1, -1, 99)]
    assert [sk.decrypt(c) for c in pk.unpack(pk.pack(cts))] == [0, 1, -1, 99]


def test_keys_below_2048_bits_are_refused_on_production_paths(
    keys: tuple[PaillierPublicKey, PaillierPrivateKey],
) -> None:
    pk, _ = keys
    with pytest.raises(WeakKeyError):
        PaillierPublicKey.from_wire(pk.to_wire())
    assert PaillierPublicKey.from_wire(pk.to_wire(), min_bits=1024) == pk
    with pytest.raises(WeakKeyError):
        require_production(TEST_ONLY_PAILLIER_1024)
    require_production(PAILLIER_2048)


def test_private_keys_refuse_pickling_and_export_explicitly(
    keys: tuple[PaillierPublicKey, PaillierPrivateKey],
) -> None:
    pk, sk = keys
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(sk)
    again = PaillierPrivateKey.import_secret(sk.export_secret())
    assert again.decrypt(pk.encrypt(42)) == 42
    assert "p" not in repr(sk).lower().replace("paillierprivatekey", "")


def test_malformed_public_keys(keys: tuple[PaillierPublicKey, PaillierPrivateKey]) -> None:
    with pytest.raises(CryptoError):
        PaillierPublicKey.from_wire("not hex")
    with pytest.raises(CryptoError):
        PaillierPublicKey(10)


def test_a_modulus_over_4096_bits_is_refused_before_it_is_parsed() -> None:
    """Issue 22, item 7: a 1,048,576-bit key was accepted. 4096 bits pass;
    one bit more, and a megabit key, are refused with their size, in both
    languages."""
    from trusted_space.core.i18n import language, set_language
    from trusted_space.hazmat.paillier import MAX_BITS, PaillierPublicKey

    assert MAX_BITS == 4096
    edge = (1 << 4095) | 1
    assert PaillierPublicKey.from_wire(format(edge, "x")).bits == 4096
    before = language()
    try:
        for lang, words in (("en", "at most 4096"), ("zh-CN", "超过上限 4096 位")):
            set_language(lang)
            for bits in (4097, 8192, 1_048_576):
                wire = format((1 << (bits - 1)) | 1, "x")
                with pytest.raises(CryptoError) as refused:
                    PaillierPublicKey.from_wire(wire)
                assert words in str(refused.value) and str(bits) in str(refused.value)
            # leading zeros do not make a key larger
            assert PaillierPublicKey.from_wire("0" * 5000 + format(edge, "x")).bits == 4096
    finally:
        set_language(before)
