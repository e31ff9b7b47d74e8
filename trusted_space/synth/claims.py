"""A synthetic insurer's claims file, drawn from the synthetic hospital visits.

Claims as an insurer receives them, with a known mix: honest claims (for
the bill, or less after a co-payment), inflated ones (one fen above the
bill, or well above it), dates off by a day (within the default tolerance)
or by more, a wrong diagnosis, visits the hospital does not have (a date
with no visit, a hospital the group does not run, a person it never saw)
and invalid ids; ids ending in X are sometimes written with a lower-case x.
Claims are for visits of the file's last year (claims follow care soon).
The file is a pure function of the visits file, ``count`` and ``seed``.
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv

from connectors.identifiers import resident_id_check_char

HEADER = (
    "claim_ref",
    "person_id",
    "hospital_id",
    "visit_date",
    "visit_type",
    "claimed_amount",
    "icd10",
)
# Kinds of claim and their shares of a batch (they add up to 1).
MIX = (
    ("honest", 0.40),
    ("copay", 0.12),
    ("one_fen_over", 0.05),
    ("inflated", 0.10),
    ("date_within", 0.06),
    ("date_off", 0.06),
    ("wrong_dx", 0.06),
    ("no_such_visit", 0.04),
    ("other_hospital", 0.03),
    ("unknown_person", 0.04),
    ("invalid_id", 0.04),
)
OTHER_HOSPITAL = "H999999999"  # no hospital of the synthetic group
OTHER_CODES = ("S52.5", "K35.8", "O80", "H25.9", "M17.1")
# Sequence numbers from 901 up: the synthetic population draws below 800.
OUTSIDER_SEQ = range(901, 999, 2)


@dataclass(frozen=True)
class ClaimsSynthSummary:
    path: Path
    rows: int
    mix: dict[str, int] = field(default_factory=dict)  # kind -> claims of that kind


def _kinds(count: int, rng: random.Random) -> list[str]:
    kinds = [kind for kind, share in MIX for _ in range(round(count * share))]
    while len(kinds) < count:
        kinds.append("honest")
    kinds = kinds[:count]
    rng.shuffle(kinds)
    return kinds


def _outsider(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    body = f"110101{born:%Y%m%d}{rng.choice(OUTSIDER_SEQ):03d}"
    return body + resident_id_check_char(body)


def _invalid(person_id: str, rng: random.Random) -> str:
    how = rng.randrange(3)
    if how == 0:  # a wrong check character
        right = person_id[17]
        return person_id[:17] + rng.choice([c for c in "0123456789X" if c != right])
    if how == 1:  # a digit left out
        cut = rng.randrange(18)
        return person_id[:cut] + person_id[cut + 1 :]
    return person_id[:10] + "1330" + person_id[14:]  # an impossible birth date


def generate_claims(
    visits: Path, out: Path, count: int, seed: int, *, lower_x_share: float = 0.5
) -> ClaimsSynthSummary:
    """Write ``count`` claims drawn from the visits file ``visits`` to ``out``."""
    if count < 1:
        raise ValueError("count must be at least 1")
    table = pacsv.read_csv(
        visits,
        convert_options=pacsv.ConvertOptions(
            column_types={c: "string" for c in ("visit_date", "discharge_date", "total_cost")}
        ),
    )
    if table.num_rows == 0:
        raise ValueError(f"{visits} holds no visit to draw claims from")
    # Claims are filed soon after the care: visits of the file's last year.
    dates = table.column("visit_date")
    newest = date.fromisoformat(str(pc.max(dates)))
    recent = table.filter(pc.greater_equal(dates, (newest - timedelta(days=365)).isoformat()))
    if recent.num_rows:
        table = recent
    rng = random.Random(f"claims:{seed}")
    picks = [rng.randrange(table.num_rows) for _ in range(count)]
    columns = {
        name: table.column(name).take(picks).to_pylist()
        for name in ("person_id", "hospital_id", "visit_date", "visit_type", "icd10", "total_cost")
    }
    kinds = _kinds(count, rng)
    mix: dict[str, int] = {}
    rows = []
    width = max(6, len(str(count)))
    for i, kind in enumerate(kinds):
        person = columns["person_id"][i]
        hospital = columns["hospital_id"][i]
        day = date.fromisoformat(columns["visit_date"][i])
        visit_type = columns["visit_type"][i]
        code = columns["icd10"][i] or ""
        bill = Decimal(columns["total_cost"][i] or "0")
        amount = bill
        if kind == "copay":
            amount = (bill * Decimal(rng.randint(50, 95)) / 100).quantize(Decimal("0.01"))
        elif kind == "one_fen_over":
            amount = bill + Decimal("0.01")
        elif kind == "inflated":
            amount = (bill * Decimal(rng.randint(120, 250)) / 100).quantize(Decimal("0.01"))
        elif kind == "date_within":
            day += timedelta(days=rng.choice((-1, 1)))
        elif kind == "date_off":
            day += timedelta(days=rng.choice((-1, 1)) * rng.randint(3, 20))
        elif kind == "wrong_dx":
            code = rng.choice([c for c in OTHER_CODES if c[:3] != code[:3]])
        elif kind == "no_such_visit":
            day -= timedelta(days=rng.randint(400, 900))
        elif kind == "other_hospital":
            hospital = OTHER_HOSPITAL
        elif kind == "unknown_person":
            person = _outsider(rng)
        elif kind == "invalid_id":
            person = _invalid(person, rng)
        if person.endswith("X") and rng.random() < lower_x_share:
            person = person[:-1] + "x"  # as a clerk types it
        amount = max(amount, Decimal("0.01"))
        rows.append(
            (
                f"CLM{i + 1:0{width}d}",
                person,
                hospital,
                day.isoformat(),
                visit_type if rng.random() < 0.7 else "",
                f"{amount:.2f}",
                code if rng.random() < 0.7 or kind == "wrong_dx" else "",
            )
        )
        mix[kind] = mix.get(kind, 0) + 1
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    os.replace(tmp, out)
    return ClaimsSynthSummary(out, len(rows), dict(sorted(mix.items())))
