"""The default crypto suite: known answers, sealing, signatures, key handles."""

from __future__ import annotations

import hashlib
import pickle

import pytest

from trusted_space.core.errors import CryptoError
from trusted_space.crypto import available_suites, get_suite

SUITE = get_suite("default")


def test_hash_and_hmac_known_answers() -> None:
    # FIPS 180-2 "abc" and RFC 4231 test case 2.
    assert (
        SUITE.hash(b"abc").hex()
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert SUITE.hmac(b"Jefe", b"what do ya want for nothing?").hex() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert SUITE.hash(b"x") == hashlib.sha256(b"x").digest()


def test_sign_and_verify() -> None:
    key = SUITE.new_signing_key()
    signature = key.sign(b"entry")
    SUITE.verify(key.public_bytes(), b"entry", signature)
    with pytest.raises(CryptoError):
        SUITE.verify(key.public_bytes(), b"entry!", signature)
    with pytest.raises(CryptoError):
        SUITE.verify(SUITE.new_signing_key().public_bytes(), b"entry", signature)
    again = SUITE.load_signing_key(key.export_secret())
    assert again.public_bytes() == key.public_bytes()


def test_seal_opens_only_with_the_recipient_key() -> None:
    key = SUITE.new_sealing_key()
    sealed = SUITE.seal(key.public_bytes(), b"matched subjects")
    assert b"matched" not in sealed
    assert key.open(sealed) == b"matched subjects"
    with pytest.raises(CryptoError):
        SUITE.new_sealing_key().open(sealed)
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(CryptoError):
        key.open(bytes(tampered))


def test_secret_keys_refuse_pickling() -> None:
    for key in (SUITE.new_signing_key(), SUITE.new_sealing_key()):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(key)


def test_bad_key_material_is_a_crypto_error() -> None:
    with pytest.raises(CryptoError):
        SUITE.seal(b"short", b"x")
    with pytest.raises(CryptoError):
        SUITE.load_signing_key(b"short")


def test_unknown_suite_is_a_caller_mistake() -> None:
    assert "default" in available_suites()
    with pytest.raises(ValueError, match="unknown crypto suite"):
        get_suite("rot13")


@pytest.mark.parametrize("suite_name", ["default", "gm"])
def test_hmac_many_equals_one_hmac_per_message_for_any_key_length(suite_name: str) -> None:
    suite = get_suite(suite_name)
    messages = [b"", b"\x01", b"x" * 33, b"y" * 64, b"z" * 65, bytes(range(256)) * 3]
    for key in (b"", b"k" * 16, b"k" * 32, b"k" * 64, b"k" * 65, bytes(range(200))):
        expected = b"".join(suite.hmac(key, m) for m in messages)
        assert suite.hmac_many(key, iter(messages)) == expected
    assert suite.hmac_many(b"k", []) == b""
    assert suite.hmac(b"key", b"data") != suite.hmac(b"kez", b"data")


# Known answers: FIPS-197 appendix C.3 (AES-256) and GB/T 32907-2016
# appendix A.1 (SM4); the SM4 key is the first 16 bytes of the 32 given.
PRF_VECTORS = {
    "default": (
        bytes(range(32)),
        bytes.fromhex("00112233445566778899aabbccddeeff"),
        bytes.fromhex("8ea2b7ca516745bfeafc49904b496089"),
    ),
    "gm": (
        bytes.fromhex("0123456789abcdeffedcba9876543210") + bytes(16),
        bytes.fromhex("0123456789abcdeffedcba9876543210"),
        bytes.fromhex("681edf34d206965e86b3e94f536e4246"),
    ),
}


@pytest.mark.parametrize("suite_name", sorted(PRF_VECTORS))
def test_prf_blocks_give_the_ciphers_known_answers_block_by_block(suite_name: str) -> None:
    suite = get_suite(suite_name)
    key, plain, cipher = PRF_VECTORS[suite_name]
    assert suite.prf_blocks(key, plain) == cipher
    assert suite.prf_blocks(key, plain * 3) == cipher * 3  # ECB: each block alone
    assert suite.prf_blocks(key, b"") == b""
    with pytest.raises(ValueError, match="16-byte blocks"):
        suite.prf_blocks(key, plain[:15])
    with pytest.raises(ValueError, match="32 bytes"):
        suite.prf_blocks(key[:16], plain)
