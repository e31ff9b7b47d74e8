"""The blinded min_count comparison shows the requester a sign, not a count
(issue 22, item 10).

The requester decrypts v = b(2c - 2k + 1) + s for each cell. The old draw
(``bits = randbelow(1200) + 1``) gave b = 1 and s = 0 once in 1,200
comparisons, and v was then 2c - 2k + 1: the exact noisy count. These tests
draw blinds as the engine does and check what v can reveal.
"""

from __future__ import annotations

import math

import pytest

from trusted_space.space.engines.join import BLIND_BITS, MIN_BLIND_BITS, draw_blind

DRAWS = 20_000
FLOOR = 1 << 127  # every blind at least 128 bits: the guarantee, stated absolutely
MAX_BITS = min(BLIND_BITS, 2048 - 200)


def _decrypted(count: int, min_count: int, blind: int, shift: int) -> int:
    return blind * (2 * count - 2 * min_count + 1) + shift


def test_no_draw_reveals_the_count() -> None:
    """In 20,000 draws (the old draw gave b = 1, s = 0 about 17 times) no
    decryption is small enough to be 2c - 2k + 1 or any small multiple of it."""
    smallest = min(abs(_decrypted(3, 5, *draw_blind(MAX_BITS))) for _ in range(DRAWS))
    assert smallest >= FLOOR
    blinds = [draw_blind(MAX_BITS) for _ in range(DRAWS)]
    assert min(b for b, _ in blinds) >= FLOOR
    assert MIN_BLIND_BITS >= 128
    assert all(0 <= s < b for b, s in blinds)


def test_the_sign_is_exactly_the_comparison() -> None:
    for count in range(0, 12):
        for _ in range(50):
            v = _decrypted(count, 5, *draw_blind(MAX_BITS))
            assert (v > 0) == (count >= 5)


def test_blind_lengths_are_uniform_over_their_whole_range() -> None:
    """The magnitude hides in the length of v only if b's length spreads
    evenly over [MIN_BLIND_BITS, MAX_BITS]: ten equal bands each get their
    share within 5 standard deviations."""
    width = MAX_BITS - MIN_BLIND_BITS + 1
    bands = [0] * 10
    for _ in range(DRAWS):
        blind, _ = draw_blind(MAX_BITS)
        assert MIN_BLIND_BITS <= blind.bit_length() <= MAX_BITS
        bands[(blind.bit_length() - MIN_BLIND_BITS) * 10 // width] += 1
    expected = DRAWS / 10
    sigma = math.sqrt(DRAWS * 0.1 * 0.9)
    assert all(abs(n - expected) < 5 * sigma for n in bands), bands


def test_the_length_of_v_tells_little_of_the_counts_magnitude() -> None:
    """Only a decryption shorter than MIN_BLIND_BITS + log2|d| bounds |d|
    from above; that happens with probability log2|d| / width, and a count of
    2^20 and a count of 6 are alike in the rest."""
    width = MAX_BITS - MIN_BLIND_BITS
    edge = MIN_BLIND_BITS + 21
    for count in (6, 1 << 20):
        short = sum(
            abs(_decrypted(count, 5, *draw_blind(MAX_BITS))).bit_length() < edge
            for _ in range(DRAWS)
        )
        bound = DRAWS * 21 / width
        assert short < bound + 5 * math.sqrt(bound), (count, short)


def test_a_key_without_room_for_a_blind_is_refused() -> None:
    with pytest.raises(ValueError, match="room"):
        draw_blind(MIN_BLIND_BITS)
