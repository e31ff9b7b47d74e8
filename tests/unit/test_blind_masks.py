"""The blind lookup's masks: wide enough, the same on both sides, fresh per upload."""

from __future__ import annotations

import pytest

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
