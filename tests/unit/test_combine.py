"""What the space computes on ciphertexts, against hand-computed answers:
score parts add to the intercept; feature blocks add, pass an extreme through
only for a single holder, and mask ratios and thresholds."""

from __future__ import annotations

from fractions import Fraction

import pytest

from products.features_layout import Block, pack, unpack
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024, generate_keypair
from trusted_space.space.engines.combine import combine_features, sum_scores

PK, SK = generate_keypair(TEST_ONLY_PAILLIER_1024)
A, B, C = b"a" * 16, b"b" * 16, b"c" * 16


def enc(v: int):  # type: ignore[no-untyped-def]
    return PK.encrypt(v)


def test_score_parts_add_to_the_intercept_and_an_unmatched_handle_gets_the_intercept() -> None:
    parts = [{A: enc(5), B: enc(7)}, {A: enc(11)}]
    out = sum_scores(PK, [A, B, C], parts, 100)
    assert [SK.decrypt(c) for c in out] == [116, 107, 100]


BLOCKS = [
    Block("sum", ("x", "y")),
    Block("extreme", ("m",)),
    Block("ratio", ("num", "den")),
    Block("threshold", ("m",), feature="m", threshold=10),
]


def provider(x: int, y: int, m: int, num: int, den: int, hit: bool) -> list:  # type: ignore[type-arg]
    # an extreme travels as value + 1 (0: no value)
    return [enc(pack([x, y])), enc(pack([m + 1])), enc(pack([num, den])), enc(int(hit))]


def test_a_single_holders_blocks() -> None:
    handles, out = combine_features(PK, BLOCKS, [A], [{A: provider(3, 4, 20, 1, 4, False)}])
    assert handles == [A]
    s, e, r, t = (SK.decrypt(c) for c in out)
    assert unpack(s, 2) == [3, 4]
    assert unpack(e, 1) == [21]  # the exact extreme, for a subject one provider holds
    num, den = unpack(r, 2)
    assert Fraction(num, den) == Fraction(1, 4) and den >= 4  # masked: scaled by r >= 1
    assert t == 0  # a threshold block is only for shared subjects


def test_a_shared_subjects_blocks_never_carry_one_providers_figure() -> None:
    one = provider(3, 4, 20, 1, 4, False)
    two = provider(10, 1, 7, 3, 4, True)
    handles, out = combine_features(PK, BLOCKS, [A], [{A: one}, {A: two}])
    assert handles == [A]
    s, e, r, t = (SK.decrypt(c) for c in out)
    assert unpack(s, 2) == [13, 5]
    assert e == 0, "no provider's exact extreme is released for a shared subject"
    num, den = unpack(r, 2)
    assert Fraction(num, den) == Fraction(4, 8)
    assert den % 8 == 0  # both sums, scaled by one r >= 1
    assert t != 0  # one provider reached the step: a masked non-zero


def test_masks_differ_between_calls_and_a_handle_nobody_holds_is_left_out() -> None:
    parts = [{A: provider(1, 1, 1, 1, 3, True)}, {A: provider(1, 1, 1, 2, 3, True)}]
    dens = set()
    for _ in range(4):
        handles, out = combine_features(PK, BLOCKS, [A, B], parts)
        assert handles == [A]
        dens.add(unpack(SK.decrypt(out[2]), 2)[1])
    assert len(dens) > 1, "fresh random masks each time"


@pytest.mark.parametrize("hits", [(False, False), (True, False), (True, True)])
def test_a_shared_threshold_says_only_whether_some_provider_reached_it(
    hits: tuple[bool, bool],
) -> None:
    parts = [{A: provider(0, 0, 0, 0, 1, h)} for h in hits]
    _, out = combine_features(PK, BLOCKS, [A], parts)
    t = SK.decrypt(out[3])
    assert (t != 0) == any(hits)
    if sum(hits) == 2:
        assert t % 2 == 0  # two hits times one mask
