"""How a features product's values travel: which ciphertexts, which slots.

Every provider sends, per subject, the same list of ciphertexts ("blocks"),
derived from the product and the job's features alone, so the provider, the
space and the consumer agree on it without talking:

- ``sum``: the additive features, packed into one plaintext (128-bit slots).
  The space multiplies the providers' blocks: the slots add up.
- ``extreme``: the exact min/max features, packed, each stored as value + 1
  (0 means "no value"). Released only for a subject one provider holds: with
  several, a sum of minima would betray each provider's figure.
- ``ratio``: numerator and denominator sums of a ratio feature, packed. The
  space multiplies the summed block by a fresh random r (both slots scale by
  r), so the consumer learns the ratio and not the two sums; it does learn
  the ratio as an exact fraction and r * gcd(num, den), hence a lower bound
  on the sums' size within a uniform factor of the truth, which no width of
  r hides (docs/lending.md, "The ratio's mask"). No ratio block travels
  when the job releases both parts exact (``from_sums``): the consumer then
  divides the two sums it receives anyway.
- ``threshold``: for min/max features, one slot per grid step t of each
  (docs/lending.md, "Thresholds"). A provider puts in a step's slot a fresh
  random rho in [1, P) when its value reached the step ([value <= t] for a
  min, [value >= t] for a max), else 0. The first steps fill the sum
  block's spare slots (``Block.steps``: its last slots), the rest travel in
  threshold blocks, as many slots a block as the key holds
  (``slots_per_block``: 15 at 2048 bits, 7 at 1024). For a subject several
  providers hold, the space adds the providers' blocks and then P * u, a
  fresh u in [0, 2^SMUDGE_BITS), in every step's slot. The
  consumer reads each slot modulo P: zero when no provider reached the step,
  else a value uniform over [1, P) whatever the number of providers that
  did (within 1/(P-1)); the quotient, which could count them, is hidden by
  u (within providers/2^SMUDGE_BITS). So it learns only whether some
  provider reached each step: the least (min) or greatest (max) grid step
  reached is released, not any provider's figure nor how many reached it.

The space releases, per subject, only the blocks that say something for
its number of holders (``released``): the extreme for a subject one
provider holds, the threshold blocks for one several hold. The steps in the
sum block are released for a subject one provider holds too: they say
whether its value reached each step, which its exact extreme, released
beside them, says already (and each reached step's rho is fresh and
uniform). Both the space and the
consumer know that number already (the space from the handles each provider
answered, the consumer from the lookup), so the count of ciphertexts tells
neither anything new, and the space re-randomises and the consumer decrypts
no ciphertext of a known zero.

Slots hold non-negative integers below 2^120, leaving 8 bits of headroom so
up to 255 providers can be added; a ratio's parts stay below 2^31, so its
slots multiplied by r < 2^31 stay below 2^62; ``pack`` refuses values that
could overflow. 120 bits hold any amount a provider's DECIMAL(38, 2) sum can
reach in cents up to 10^36, far past the 10^15 yuan (10^17 cents) that
public-works awards must carry exactly (64-bit slots with 2^56 stopped at
7.2 * 10^14 yuan).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Literal

from products.base import Product
from trusted_space.core.encoding import FixedPoint

SLOT_BITS = 128
VALUE_LIMIT = 1 << 120
RATIO_LIMIT = 1 << 31
MASK_BITS = 31  # random multipliers r in [1, 2^31), for the ratio block
# Thresholds: rho in [1, P) per reached step, P the Mersenne prime 2^61 - 1; the
# space's u in [0, 2^64). A slot then stays below 255 * P + P * 2^64 < 2^126.
THRESHOLD_PRIME = (1 << 61) - 1
SMUDGE_BITS = 64


def slots_per_block(key_bits: int) -> int:
    """How many 128-bit slots one plaintext holds under a key of ``key_bits``:
    a packed block stays below 2^(128 * slots) <= 2^(key_bits - 2), inside
    the key's signed range (n/3). 15 at 2048 bits, 7 at 1024, 23 at 3072."""
    return max(1, (key_bits - 2) // SLOT_BITS)


BlockKind = Literal["sum", "extreme", "ratio", "threshold"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    slots: tuple[str, ...]
    feature: str | None = None
    # Threshold steps, one per slot, in the block's last len(steps) slots (all
    # of a threshold block's, a sum block's spare ones): (feature, encoded
    # step or None for "has a value at all").
    steps: tuple[tuple[str, int | None], ...] = ()

    @property
    def values(self) -> tuple[str, ...]:
        """The slots before the steps: a sum block's features."""
        return self.slots[: len(self.slots) - len(self.steps)]


def from_sums(product: Product, features: Collection[str]) -> set[str]:
    """The ratio features of the job computed from its released sums: both
    parts are whole-number sum features the job releases. The bank then
    learns both sums anyway, and their quotient is the ratio block's: a
    provider fills the ratio block with the same values as the sum slots
    (its parts after the policy's transforms when the job releases them,
    whole numbers at 0 places), so no masked ratio block needs to travel."""
    out = set()
    for f in features:
        spec = product.feature(f)
        if spec.combine != "ratio" or spec.ratio_of is None:
            continue
        parts = [product.feature(p) for p in spec.ratio_of]
        if all(p.name in features and p.combine == "sum" and p.decimals == 0 for p in parts):
            out.add(f)
    return out


def layout(product: Product, features: Sequence[str], *, key_bits: int) -> list[Block]:
    """The blocks every provider sends per subject, for a key of ``key_bits``."""
    capacity = slots_per_block(key_bits)
    divided = from_sums(product, features)
    by_kind = {f: product.feature(f) for f in features}
    sums = tuple(f for f, spec in by_kind.items() if spec.combine == "sum")
    extremes = tuple(f for f, spec in by_kind.items() if spec.combine in ("min", "max"))
    steps: list[tuple[str, int | None]] = []
    for f in extremes:
        spec = by_kind[f]
        fp = FixedPoint(spec.decimals)
        steps.extend((f, fp.encode(t)) for t in spec.grid)
        if spec.combine == "min":
            steps.append((f, None))  # any value at all, beyond the last step
    blocks: list[Block] = []
    if sums:
        spare = tuple(steps[: max(0, capacity - len(sums))])
        steps = steps[len(spare) :]
        blocks.append(Block("sum", sums + tuple(f for f, _ in spare), steps=spare))
    if extremes:
        blocks.append(Block("extreme", extremes))
    for f, spec in by_kind.items():
        if spec.combine == "ratio" and f not in divided:
            assert spec.ratio_of is not None
            blocks.append(Block("ratio", spec.ratio_of, feature=f))
    for i in range(0, len(steps), capacity):
        part = tuple(steps[i : i + capacity])
        blocks.append(Block("threshold", tuple(f for f, _ in part), steps=part))
    return blocks


def released(blocks: Sequence[Block], providers: int) -> list[int]:
    """The indices of the blocks released for a subject ``providers`` providers hold."""
    return [
        i
        for i, b in enumerate(blocks)
        if not (b.kind == "extreme" and providers != 1)
        and not (b.kind == "threshold" and providers < 2)
    ]


def pack(values: Sequence[int]) -> int:
    out = 0
    for i, v in enumerate(values):
        if not 0 <= v < VALUE_LIMIT:
            raise ValueError(f"slot value {v} outside [0, 2^120)")
        out |= v << (SLOT_BITS * i)
    return out


def unpack(value: int, slots: int) -> list[int]:
    mask = (1 << SLOT_BITS) - 1
    return [(value >> (SLOT_BITS * i)) & mask for i in range(slots)]


def encode_subject(
    product: Product, blocks: Sequence[Block], row: Mapping[str, Decimal | None]
) -> list[int]:
    """The plaintexts one provider sends for one subject. ``row`` holds every
    feature of the job (already transformed) and every ratio's parts."""

    def enc(name: str, value: Decimal | None) -> int:
        return 0 if value is None else FixedPoint(product.feature(name).decimals).encode(value)

    def reached(feature: str, step: int | None) -> bool:
        v = row[feature]
        if v is None:
            return False
        if step is None:
            return True
        if product.feature(feature).combine == "min":
            return enc(feature, v) <= step
        return enc(feature, v) >= step

    def steps(b: Block) -> list[int]:
        return [
            secrets.randbelow(THRESHOLD_PRIME - 1) + 1 if reached(f, step) else 0
            for f, step in b.steps
        ]

    out: list[int] = []
    for b in blocks:
        if b.kind == "sum":
            out.append(pack([enc(f, row[f]) for f in b.values] + steps(b)))
        elif b.kind == "extreme":
            out.append(pack([0 if row[f] is None else enc(f, row[f]) + 1 for f in b.slots]))
        elif b.kind == "ratio":
            parts = [int(row[s] or 0) for s in b.slots]
            if any(p >= RATIO_LIMIT for p in parts):
                raise ValueError("ratio parts must stay below 2^31")
            out.append(pack(parts))
        else:
            out.append(pack(steps(b)))
    return out


def smudge(block: Block) -> int:
    """The space's addition to a shared subject's block with steps: P * u in
    each step's slot, u fresh in [0, 2^SMUDGE_BITS); 0 in the other slots."""
    out, first = 0, len(block.slots) - len(block.steps)
    for i in range(first, len(block.slots)):
        out |= (THRESHOLD_PRIME * secrets.randbelow(1 << SMUDGE_BITS)) << (SLOT_BITS * i)
    return out


def decode_subject(
    product: Product,
    features: Sequence[str],
    blocks: Sequence[Block],
    plaintexts: Sequence[int],
    providers: int,
) -> dict[str, Decimal | None]:
    """The released values for a subject ``providers`` providers hold, from
    the plaintexts of its released blocks (``released``), in block order."""
    values: dict[str, Decimal | None] = {}
    sums: dict[str, int] = {}  # the sum slots as encoded, for ratios of sums
    thresholds: dict[str, list[tuple[int | None, bool]]] = {}
    shown = [blocks[i] for i in released(blocks, providers)]
    for b, m in zip(shown, plaintexts, strict=True):
        slots = unpack(m, len(b.slots))
        if b.steps and providers > 1:
            for (feature, step), v in zip(b.steps, slots[len(b.values) :], strict=True):
                thresholds.setdefault(feature, []).append((step, v % THRESHOLD_PRIME != 0))
        if b.kind == "sum":
            for f, v in zip(b.values, slots[: len(b.values)], strict=True):
                values[f] = FixedPoint(product.feature(f).decimals).decode(v)
                sums[f] = v
        elif b.kind == "extreme" and providers == 1:
            for f, v in zip(b.slots, slots, strict=True):
                fp = FixedPoint(product.feature(f).decimals)
                values[f] = None if v == 0 else fp.decode(v - 1)
        elif b.kind == "ratio":
            assert b.feature is not None
            values[b.feature] = ratio(m, product.feature(b.feature).decimals)
    carried = {b.feature for b in blocks if b.kind == "ratio"}
    for f in features:
        spec = product.feature(f)
        if spec.combine == "ratio" and f not in carried:
            assert spec.ratio_of is not None  # from_sums: both parts are sums of the job
            num, den = (sums[p] for p in spec.ratio_of)
            values[f] = quotient(num, den, spec.decimals)
    for f, steps in thresholds.items():
        spec = product.feature(f)
        fp = FixedPoint(spec.decimals)
        reached = [t for t, hit in steps if hit]
        grid = [t for t, _ in steps if t is not None]
        finite = [t for t in reached if t is not None]
        if not reached:
            values[f] = None
        elif spec.combine == "min":
            # Beyond the last step: reported as the last step ("at least").
            values[f] = fp.decode(min(finite) if finite else max(grid))
        else:
            values[f] = fp.decode(max(finite))
    return {f: values.get(f) for f in features}


def ratio(packed: int, places: int) -> Decimal | None:
    """num/den of a (possibly masked) ratio block, half-even to ``places``; None if den is 0."""
    num, den = unpack(packed, 2)
    return quotient(num, den, places)


def quotient(num: int, den: int, places: int) -> Decimal | None:
    """num/den, half-even to ``places``; None if den is 0."""
    if den == 0:
        return None
    exact = Fraction(num, den)
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        quantum, rounding=ROUND_HALF_EVEN
    )
