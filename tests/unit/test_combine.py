"""What the space computes on ciphertexts, against hand-computed answers:
score parts add to the intercept; feature blocks add, pass an extreme through
only for a single holder, and mask ratios and thresholds."""

from __future__ import annotations

import secrets
from fractions import Fraction

import pytest

from products.features_layout import SLOT_BITS, THRESHOLD_PRIME, Block, pack, released, unpack
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
    Block("threshold", ("m", "m"), steps=(("m", 10), ("m", 20))),
]


def rho() -> int:
    return secrets.randbelow(THRESHOLD_PRIME - 1) + 1


def provider(x: int, y: int, m: int, num: int, den: int, hit: bool) -> list:  # type: ignore[type-arg]
    # an extreme travels as value + 1 (0: no value); a reached step as a random rho
    steps = pack([rho() if hit else 0, 0])
    return [enc(pack([x, y])), enc(pack([m + 1])), enc(pack([num, den])), enc(steps)]


def test_a_single_holders_blocks() -> None:
    handles, out = combine_features(PK, BLOCKS, [A], [{A: provider(3, 4, 20, 1, 4, False)}])
    assert handles == [A]
    # No threshold block: it says nothing for a subject one provider holds.
    s, e, r = (SK.decrypt(c) for c in out)
    assert unpack(s, 2) == [3, 4]
    assert unpack(e, 1) == [21]  # the exact extreme, for a subject one provider holds
    num, den = unpack(r, 2)
    assert Fraction(num, den) == Fraction(1, 4) and den >= 4  # masked: scaled by r >= 1
    assert released(BLOCKS, 1) == [0, 1, 2]


def test_a_shared_subjects_blocks_never_carry_one_providers_figure() -> None:
    one = provider(3, 4, 20, 1, 4, False)
    two = provider(10, 1, 7, 3, 4, True)
    handles, out = combine_features(PK, BLOCKS, [A], [{A: one}, {A: two}])
    assert handles == [A]
    # No extreme block: no provider's exact extreme is released for a shared subject.
    s, r, t = (SK.decrypt(c) for c in out)
    assert released(BLOCKS, 2) == [0, 2, 3]
    assert unpack(s, 2) == [13, 5]
    num, den = unpack(r, 2)
    assert Fraction(num, den) == Fraction(4, 8)
    assert den % 8 == 0  # both sums, scaled by one r >= 1
    first, second = unpack(t, 2)
    assert first % THRESHOLD_PRIME != 0  # one provider reached the first step
    assert second % THRESHOLD_PRIME == 0 and second != 0  # none the second; smudged


def test_masks_differ_between_calls_and_a_handle_nobody_holds_is_left_out() -> None:
    parts = [{A: provider(1, 1, 1, 1, 3, True)}, {A: provider(1, 1, 1, 2, 3, True)}]
    dens = set()
    for _ in range(4):
        handles, out = combine_features(PK, BLOCKS, [A, B], parts)
        assert handles == [A]
        dens.add(unpack(SK.decrypt(out[1]), 2)[1])
    assert len(dens) > 1, "fresh random masks each time"


@pytest.mark.parametrize("hits", [(False, False), (True, False), (True, True)])
def test_a_shared_threshold_says_only_whether_some_provider_reached_it(
    hits: tuple[bool, bool],
) -> None:
    parts = [{A: provider(0, 0, 0, 0, 1, h)} for h in hits]
    _, out = combine_features(PK, BLOCKS, [A], parts)
    first, _ = unpack(SK.decrypt(out[-1]), 2)
    assert (first % THRESHOLD_PRIME != 0) == any(hits)
    assert first >= THRESHOLD_PRIME or not any(hits)  # the quotient is smudged too


def test_two_providers_reaching_a_step_look_like_one() -> None:
    """The released slot does not count the providers that reached a step:
    its residue modulo P is uniform on [1, P) for one or two, and its
    quotient is drawn from [0, 2^64) either way (with integer masks r < 2^31
    a sum of two was always even, and often over 2^31)."""

    def slots(hits: tuple[bool, bool], n: int = 200) -> list[int]:
        out = []
        for _ in range(n):  # each job: the providers' fresh rho, the space's fresh u
            parts = [{A: provider(0, 0, 0, 0, 1, h)} for h in hits]
            _, cts = combine_features(PK, BLOCKS, [A], parts)
            out.append(unpack(SK.decrypt(cts[-1]), 2)[0])
        return out

    for hits in ((True, False), (True, True)):
        values = slots(hits)
        residues = [v % THRESHOLD_PRIME for v in values]
        assert all(r != 0 for r in residues)
        assert 60 <= sum(r % 2 for r in residues) <= 140  # odd about half the time
        assert 60 <= sum(r > THRESHOLD_PRIME // 2 for r in residues) <= 140
        quotients = [v // THRESHOLD_PRIME for v in values]
        assert 60 <= sum(q >= 1 << 63 for q in quotients) <= 140


def test_the_steps_fill_the_sum_blocks_spare_slots_as_many_as_the_key_holds() -> None:
    """Issue 24, item 6: at 2048 bits a centre sends 3 ciphertexts per
    company (6 with 7-slot blocks and a ratio block), and the space releases
    2 whatever the number of holders (3 or 5); a ratio whose parts are not
    both released travels masked."""
    from products.features_layout import layout, slots_per_block
    from products.lending import TENDER_LENDING

    features = [f.name for f in TENDER_LENDING.features]
    assert (slots_per_block(1024), slots_per_block(2048), slots_per_block(3072)) == (7, 15, 23)
    blocks = layout(TENDER_LENDING, features, key_bits=2048)
    # win_rate_12m from the released sums wins_12m and bids_12m: no ratio block
    assert [b.kind for b in blocks] == ["sum", "extreme", "threshold"]
    assert [len(b.slots) for b in blocks] == [15, 2, 10]
    assert len(blocks[0].values) == 5 and len(blocks[0].steps) == 10
    assert sum(len(b.steps) for b in blocks) == 20  # 10 + 1 and 9 grid steps
    assert released(blocks, 1) == [0, 1] and released(blocks, 2) == [0, 2]
    masked = [f for f in features if f != "bids_12m"]  # bids_12m not released
    blocks = layout(TENDER_LENDING, masked, key_bits=2048)
    assert [b.kind for b in blocks] == ["sum", "extreme", "ratio", "threshold"]
    assert released(blocks, 1) == [0, 1, 2] and released(blocks, 2) == [0, 2, 3]
    small = layout(TENDER_LENDING, features, key_bits=1024)
    assert [len(b.slots) for b in small] == [7, 2, 7, 7, 4]
    assert all(SLOT_BITS * len(b.slots) <= 1024 - 2 for b in small)
    # Without sums, the steps travel in threshold blocks alone.
    only = layout(TENDER_LENDING, ["days_since_last_award"], key_bits=2048)
    assert [(b.kind, len(b.slots)) for b in only] == [("extreme", 1), ("threshold", 11)]


MIXED = [
    Block("sum", ("x", "m", "m"), steps=(("m", 10), ("m", 20))),
    Block("extreme", ("m",)),
]


def test_steps_in_the_sum_block_are_smudged_only_for_a_shared_subject() -> None:
    def part(x: int, first: bool) -> list:  # type: ignore[type-arg]
        return [enc(pack([x, rho() if first else 0, 0])), enc(pack([x + 1]))]

    _, single = combine_features(PK, MIXED, [A], [{A: part(5, True)}])
    x, first, second = unpack(SK.decrypt(single[0]), 3)
    assert x == 5 and 0 < first < THRESHOLD_PRIME and second == 0  # as sent: no smudge
    for hits in ((True, False), (False, False)):
        _, shared = combine_features(PK, MIXED, [A], [{A: part(5, h)} for h in hits])
        assert len(shared) == 1  # no extreme for a shared subject
        x, first, second = unpack(SK.decrypt(shared[0]), 3)
        assert x == 10  # the sums untouched
        assert (first % THRESHOLD_PRIME != 0) == any(hits)
        assert second % THRESHOLD_PRIME == 0 and second >= THRESHOLD_PRIME  # smudged


def test_a_company_round_trips_through_the_layout_for_one_and_two_centres() -> None:
    from decimal import Decimal

    from products.features_layout import decode_subject, encode_subject, layout
    from products.lending import TENDER_LENDING

    features = [f.name for f in TENDER_LENDING.features]

    def row(days: int, largest: str, wins: int, bids: int) -> dict[str, Decimal | None]:
        return {
            "bids_12m": Decimal(bids),
            "wins_12m": Decimal(wins),
            "awarded_amount_12m": Decimal("1000.50"),
            "awarded_amount_36m": Decimal("2000.25"),
            "distinct_buyers_36m": Decimal(2),
            "days_since_last_award": Decimal(days),
            "max_award_36m": Decimal(largest),
        }

    def run(
        rows: list[dict[str, Decimal | None]], features: list[str] = features
    ) -> dict[str, Decimal | None]:
        blocks = layout(TENDER_LENDING, features, key_bits=PK.bits)
        parts = [{A: [enc(v) for v in encode_subject(TENDER_LENDING, blocks, r)]} for r in rows]
        _, out = combine_features(PK, blocks, [A], parts)
        plain = [
            SK.decrypt_below(c, SLOT_BITS * len(blocks[k].slots))
            for c, k in zip(out, released(blocks, len(rows)), strict=True)
        ]
        return decode_subject(TENDER_LENDING, features, blocks, plain, len(rows))

    one = run([row(40, "60000.00", 1, 4)])
    assert one["days_since_last_award"] == 40 and one["max_award_36m"] == Decimal("60000.00")
    assert one["win_rate_12m"] == Decimal("0.2500") and one["bids_12m"] == 4
    two = run([row(40, "60000.00", 1, 4), row(200, "600000.00", 2, 4)])
    assert two["days_since_last_award"] == 90  # the least step at or above 40
    assert two["max_award_36m"] == Decimal("500000")  # the greatest step at or below
    assert two["win_rate_12m"] == Decimal("0.3750") and two["bids_12m"] == 8
    assert two["awarded_amount_36m"] == Decimal("4000.50")
    # bids_12m not released: the ratio travels masked, and says the same.
    rows = [row(40, "60000.00", 1, 4), row(200, "600000.00", 2, 4)]
    masked = run(rows, [f for f in features if f != "bids_12m"])
    assert masked["win_rate_12m"] == Decimal("0.3750") and "bids_12m" not in masked
    assert run([row(0, "1.00", 0, 0)])["win_rate_12m"] is None  # no bid: no rate


def test_the_ratio_mask_leaks_what_docs_lending_says() -> None:
    """docs/lending.md, "The ratio's mask": the bank learns the exact fraction
    and m = r * gcd, so a lower bound m / 2^31 on the gcd (the sums' size)
    that is the truth times r / 2^31; and m is always a multiple of the gcd,
    which no width of r hides (the sums 3/12 and 1/4 differ in m mod 3)."""
    import math

    from products.features_layout import MASK_BITS

    assert MASK_BITS == 31
    bounds, multiples = [], 0
    for _ in range(40):
        parts = [{A: provider(0, 0, 0, 2, 8, False)}, {A: provider(0, 0, 0, 1, 4, False)}]
        _, out = combine_features(PK, BLOCKS, [A], parts)
        num, den = unpack(SK.decrypt(out[1]), 2)
        assert Fraction(num, den) == Fraction(3, 12)  # the exact fraction: 1/4
        m = math.gcd(num, den)
        assert m % 3 == 0 and m // 3 < 1 << MASK_BITS  # r * gcd, r < 2^31
        bounds.append(m / (1 << MASK_BITS))  # the bank's lower bound on gcd = 3
        multiples += m % 3 == 0
    assert all(b < 3 for b in bounds) and max(bounds) > 0.3  # below the truth, near it
    assert multiples == 40  # with gcd 1 (the sums 1/4), m % 3 == 0 only a third of the time
