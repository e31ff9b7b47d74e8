"""Cells and slots: how a cohort query's cells travel packed in ciphertexts.

Every cell (one combination of the group-by dimensions' values) carries the
count and each measure; each (cell, value) is a 128-bit slot, packed many to
a Paillier plaintext. A person's vector has its values in its cells' slots
and zeros elsewhere, so the space can add vectors without knowing any cell.
Slot values stay below 2^56; the space later adds masks below 2^120 to every
slot, which cannot carry into the next slot and hide the value to within
2^-64 statistical distance.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from products.cohort.query import AGE_BANDS, SEXES, CohortQuery, check_cells
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import recognised
from trusted_space.protocol.messages import CellLayoutSpec

SLOT_BITS = 128
VALUE_LIMIT = 1 << 56
MASK_BITS = 120


def sex_of(person_id: str) -> str:
    return "M" if int(person_id[16]) % 2 else "F"


def age_band_of(person_id: str, at: dt.date) -> str:
    born = dt.date(int(person_id[6:10]), int(person_id[10:12]), int(person_id[12:14]))
    age = at.year - born.year - ((at.month, at.day) < (born.month, born.day))
    return AGE_BANDS[min(max(age, 0) // 10, 10)]


@dataclass(frozen=True)
class CellLayout:
    dims: tuple[str, ...]
    domains: Mapping[str, tuple[str, ...]]
    values: tuple[str, ...]
    slots_per_plaintext: int

    @property
    def cells(self) -> list[tuple[str, ...]]:
        return list(itertools.product(*(self.domains[d] for d in self.dims)))

    @property
    def n_slots(self) -> int:
        return len(self.cells) * len(self.values)

    @property
    def n_plaintexts(self) -> int:
        return -(-self.n_slots // self.slots_per_plaintext)

    def cell_index(self, key: Sequence[str]) -> int:
        index = 0
        for dim, value in zip(self.dims, key, strict=True):
            domain = self.domains[dim]
            index = index * len(domain) + domain.index(value)
        return index

    def slot(self, cell: int, value: str) -> int:
        return cell * len(self.values) + self.values.index(value)

    def pack(self, slots: Mapping[int, int], limit: int = VALUE_LIMIT) -> list[int]:
        """Plaintexts for a sparse slot vector."""
        out = [0] * self.n_plaintexts
        for slot, value in slots.items():
            if not 0 <= value < limit:
                raise ValueError(f"slot value {value} outside [0, {limit})")
            p, s = divmod(slot, self.slots_per_plaintext)
            out[p] |= value << (SLOT_BITS * s)
        return out

    def unpack(self, plaintexts: Sequence[int]) -> list[int]:
        mask = (1 << SLOT_BITS) - 1
        values = []
        for i in range(self.n_slots):
            p, s = divmod(i, self.slots_per_plaintext)
            values.append((plaintexts[p] >> (SLOT_BITS * s)) & mask)
        return values

    def to_wire(self) -> CellLayoutSpec:
        return layout_spec(self)


def layout_spec(layout: CellLayout) -> CellLayoutSpec:
    return CellLayoutSpec(
        dims=list(layout.dims),
        domains={d: list(v) for d, v in layout.domains.items()},
        values=list(layout.values),
        slots_per_plaintext=layout.slots_per_plaintext,
    )


def layout_of(spec: CellLayoutSpec) -> CellLayout:
    return CellLayout(
        tuple(spec.dims),
        {d: tuple(v) for d, v in spec.domains.items()},
        tuple(spec.values),
        spec.slots_per_plaintext,
    )


def build_layout(query: CohortQuery, hospital_ids: Sequence[str], modulus_bits: int) -> CellLayout:
    domains: dict[str, tuple[str, ...]] = {
        "sex": SEXES,
        "age_band": AGE_BANDS,
        "hospital_id": tuple(sorted(hospital_ids)) or ("-",),
        "month": tuple(query.months()),
    }
    dims = tuple(query.group_by)
    try:  # the query's own bound, now with the hospitals' ids counted
        check_cells({d: len(domains[d]) for d in dims})
    except ValueError as exc:
        raise InputError(recognised(str(exc))) from None
    # Keep two slots' worth of headroom below n/3, the signed plaintext limit.
    per = max(1, (modulus_bits - 2 - 2 * SLOT_BITS) // SLOT_BITS)
    return CellLayout(dims, {d: domains[d] for d in dims}, tuple(query.values), per)


def join_layout(
    query: CohortQuery, domains: Mapping[str, Sequence[str]], modulus_bits: int
) -> CellLayout:
    """The layout from the domains the providers declared: the hospital's ids
    when the query groups by hospital_id."""
    return build_layout(query, domains.get("hospital_id", ()), modulus_bits)
