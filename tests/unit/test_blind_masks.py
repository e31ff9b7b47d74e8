"""The blind lookup's masks: wide enough, the same on both sides, fresh per upload."""

from __future__ import annotations

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from products.score_model import SCORE_BITS
from trusted_space.bulk import blind
from trusted_space.core.errors import ProtocolError
from trusted_space.crypto import get_suite
from trusted_space.hazmat.oprf import OprfKey


def test_masks_hide_any_score_part_with_64_bits_of_slack() -> None:
    assert blind.MASK_BITS >= SCORE_BITS + 64
    assert blind.MASKED_VALUE_BYTES * 8 > blind.MASK_BITS + 1


@pytest.mark.parametrize("suite_name", ["default", "gm"])
def test_masks_are_deterministic_per_upload_and_fresh_across_uploads(suite_name: str) -> None:
    suite = get_suite(suite_name)
    tokens = OprfKey.generate().tokens(["a", "b", "c"])
    key = b"k" * 32
    first = blind.masks(suite, key, b"u" * 16, tokens)
    assert first == blind.masks(suite, key, b"u" * 16, tokens)
    assert len(set(first)) == 3 and all(0 <= m < 1 << blind.MASK_BITS for m in first)
    assert max(first).bit_length() > blind.MASK_BITS - 16  # uses the width
    other = blind.masks(suite, key, b"v" * 16, tokens)
    assert not set(first) & set(other)
    assert blind.masks(suite, b"x" * 32, b"u" * 16, tokens) != first


def test_masked_values_round_trip_and_refuse_what_does_not_fit() -> None:
    values = [0, -1, (1 << blind.MASK_BITS) + (1 << SCORE_BITS) - 1, -(1 << SCORE_BITS) + 1]
    assert blind.unpack_values(blind.pack_values(values)) == values
    with pytest.raises(ProtocolError, match="out of range"):
        blind.pack_values([1 << (8 * blind.MASKED_VALUE_BYTES)])
    with pytest.raises(ProtocolError, match="bytes each"):
        blind.unpack_values(b"\x00" * (blind.MASKED_VALUE_BYTES + 1))


def test_population_tokens_equal_the_keys_tokens_on_every_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(blind, "PARALLEL_ABOVE", 100)
    key = OprfKey.generate()
    ids = [f"{i:018d}" for i in range(301)]
    assert blind.population_tokens(key, ids) == key.tokens(ids)


def _simple_masks(suite_name: str, key: bytes, upload_id: bytes, tokens: bytes) -> list[int]:
    """The masks as the protocol states them, one token at a time, with the
    cipher called directly (not through the suite's ``prf_blocks``)."""
    suite = get_suite(suite_name)
    upload_key = suite.hmac(key, b"tspace-blind-upload-v2\x00" + upload_id)
    cipher = (
        algorithms.AES(upload_key) if suite_name == "default" else algorithms.SM4(upload_key[:16])
    )
    out = []
    for i in range(0, len(tokens), 32):
        t = tokens[i : i + 32]
        stream = b""
        for block in range(3):
            enc = Cipher(cipher, modes.ECB()).encryptor()
            stream += enc.update(t[:15] + bytes([block])) + enc.finalize()
        out.append(int.from_bytes(stream[:40], "big"))
    return out


@pytest.mark.parametrize("suite_name", ["default", "gm"])
def test_mask_bytes_follow_the_suites_cipher_token_by_token(suite_name: str) -> None:
    suite = get_suite(suite_name)
    tokens = OprfKey.generate().tokens([f"{i:018d}" for i in range(257)])
    expected = _simple_masks(suite_name, b"k" * 32, b"u" * 16, tokens)
    assert blind.masks(suite, b"k" * 32, b"u" * 16, tokens) == expected
    serial = blind.mask_bytes(suite, b"k" * 32, b"u" * 16, tokens)
    assert serial == b"".join(m.to_bytes(blind.MASK_BYTES, "big") for m in expected)
    assert blind.mask_bytes(suite, b"k" * 32, b"u" * 16, b"") == b""
    with pytest.raises(ProtocolError, match="32 bytes"):
        blind.mask_bytes(suite, b"k" * 32, b"u" * 16, tokens[:-1])


def test_masks_of_tokens_sharing_a_prefix_beyond_the_block_still_differ_by_token() -> None:
    """Only a token's first 15 bytes enter its blocks: two tokens equal there
    get equal masks (a 2^-120 event for hash outputs). The construction
    relies on that being negligible, not on the rest of the token."""
    suite = get_suite("default")
    a = bytes(range(32))
    b = a[:15] + bytes(17)
    c = bytes([1]) + a[1:]
    ra, rb, rc = blind.masks(suite, b"k" * 32, b"u" * 16, a + b + c)
    assert ra == rb and ra != rc


EDGE_MASKS = [0, 1, (1 << 64) - 1, 1 << 64, (1 << 128) - 1, (1 << blind.MASK_BITS) - 1]
EDGE_PARTS = [0, 1, -1, 2, -2, (1 << 62) - 1, -(1 << 62), (1 << 63) - 1, -(1 << 63)]


def test_masked_values_on_limbs_equal_packing_each_sum() -> None:
    import random

    rng = random.Random(21)
    pairs = [(s, r) for s in EDGE_PARTS for r in EDGE_MASKS]
    pairs += [
        (rng.randrange(-(1 << 63), 1 << 63), rng.randrange(1 << blind.MASK_BITS))
        for _ in range(2000)
    ]
    pairs += [(rng.randrange(-1000, 1000), rng.randrange(1 << 70)) for _ in range(500)]
    parts = np.array([s for s, _ in pairs], dtype=np.int64)
    mask_blob = b"".join(r.to_bytes(blind.MASK_BYTES, "big") for _, r in pairs)
    packed = blind.masked_values(parts, mask_blob)
    assert packed == blind.pack_values([s + r for s, r in pairs])
    assert blind.unpack_values(packed) == [s + r for s, r in pairs]
    assert blind.masked_values(np.zeros(0, dtype=np.int64), b"") == b""
    with pytest.raises(ProtocolError, match="differ in number"):
        blind.masked_values(parts[:3], mask_blob[: 2 * blind.MASK_BYTES])
