"""The insurer's claims file: claim_ref, person_id, hospital_id, visit_date,
visit_type, claimed_amount, icd10 (visit_type and icd10 may be left empty,
or their columns left out).

The file as a whole is checked as every consumer batch is (the columns are
there, no record is malformed, references are present, short and unique:
each error names the file, row and field). A claim with a bad field is kept,
with its row, field and reason, so the result can say ``invalid`` for it in
the batch's order; nothing is dropped. Values are normalised as the
hospital's own rows are: the resident id (a lower-case x accepted), the
visit type (lower case), the ICD-10 code (upper case, the dot put in);
amounts are read in yuan to the fen, exactly (no binary floating point).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from connectors.batch import InvalidId, invalid_detail, read_batch_fields
from connectors.canonical import DATE_MAX_YEAR, DATE_MIN_YEAR, MAX_TEXT, VISIT_TYPES
from connectors.identifiers import normalise_resident_id, resident_id_problem
from trusted_space.core.i18n import Text

REQUIRED = ("person_id", "hospital_id", "visit_date", "claimed_amount")
OPTIONAL = ("visit_type", "icd10")
AMOUNT = re.compile(r"[0-9]{1,16}(\.[0-9]{1,2})?")
ICD10 = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,8})?[+*]?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Claim:
    """One claim, normalised; ``error`` (and ``column``) say why it is
    invalid, and then the values may be None."""

    row: int
    ref: str
    person_id: str | None
    hospital_id: str | None
    visit_date: dt.date | None
    visit_type: str | None  # None: not given
    claimed_fen: int | None
    icd10: str | None  # None: not given
    error: str | Text | None = None
    column: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None

    @property
    def icd10_category(self) -> str | None:
        """The ICD-10 category (its first three characters), or None."""
        return self.icd10[:3] if self.icd10 else None

    @property
    def detail(self) -> InvalidId | None:
        """Row, field and reason of an invalid claim (None when valid)."""
        if self.error is None:
            return None
        return invalid_detail(self.row, self.column or "claim", self.error)

    def arguments(self) -> dict[str, str | int | None]:
        """What travels with the person's id, sealed to the hospital."""
        if self.visit_date is None or self.claimed_fen is None:
            raise ValueError("an invalid claim is never sent")
        return {
            "hospital_id": self.hospital_id,
            "visit_date": self.visit_date.isoformat(),
            "visit_type": self.visit_type,
            "claimed_fen": self.claimed_fen,
            "icd10_category": self.icd10_category,
        }


class _Bad(Exception):
    def __init__(self, column: str, reason: str | Text) -> None:
        self.column = column
        self.reason = reason


def read_claims(path: Path) -> list[Claim]:
    """The claims of ``path`` in file order, each valid or saying why not."""
    out: list[Claim] = []
    for row, ref, fields in read_batch_fields(path, "claim_ref", REQUIRED, OPTIONAL):
        try:
            out.append(_claim(row, ref, fields))
        except _Bad as bad:
            out.append(Claim(row, ref, None, None, None, None, None, None, bad.reason, bad.column))
    return out


def _claim(row: int, ref: str, fields: dict[str, str]) -> Claim:
    person_id = normalise_resident_id(fields["person_id"])
    if not person_id:
        raise _Bad("person_id", Text("id.missing"))
    error = resident_id_problem(person_id)
    if error is not None:
        raise _Bad("person_id", error)
    hospital_id = fields["hospital_id"].strip()
    if not hospital_id:
        raise _Bad("hospital_id", Text("id.missing"))
    if len(hospital_id) > MAX_TEXT:
        raise _Bad("hospital_id", f"longer than {MAX_TEXT} characters")
    visit_type = fields["visit_type"].strip().lower() or None
    if visit_type is not None and visit_type not in VISIT_TYPES:
        raise _Bad("visit_type", f"must be one of {'|'.join(VISIT_TYPES)} or empty")
    icd10 = _icd10(fields["icd10"])
    return Claim(
        row,
        ref,
        person_id,
        hospital_id,
        _date(fields["visit_date"]),
        visit_type,
        _fen(fields["claimed_amount"]),
        icd10,
    )


def _date(raw: str) -> dt.date:
    text = raw.strip()
    if not text:
        raise _Bad("visit_date", Text("id.missing"))
    if not DATE.fullmatch(text):
        raise _Bad("visit_date", "not an ISO date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise _Bad("visit_date", "impossible date") from None
    if not DATE_MIN_YEAR <= day.year <= DATE_MAX_YEAR:
        raise _Bad("visit_date", f"date outside {DATE_MIN_YEAR}-{DATE_MAX_YEAR}")
    return day


def _fen(raw: str) -> int:
    """An amount in yuan (at most two decimal places, thousands commas
    allowed) as a whole number of fen, exactly; a claim is for more than 0."""
    text = raw.strip().replace(",", "")
    if not text:
        raise _Bad("claimed_amount", "missing value")
    if not AMOUNT.fullmatch(text):
        raise _Bad("claimed_amount", "not an amount in yuan with at most 2 decimal places")
    fen = int(Decimal(text) * 100)
    if fen <= 0:
        raise _Bad("claimed_amount", "a claim must be for more than 0")
    return fen


def _icd10(raw: str) -> str | None:
    text = raw.strip().upper().replace(" ", "")
    if not text:
        return None
    if len(text) > 3 and "." not in text:
        text = f"{text[:3]}.{text[3:]}"  # 'E119' and 'E11.9' are the same code
    if not ICD10.fullmatch(text):
        raise _Bad("icd10", "not an ICD-10 code")
    return text
