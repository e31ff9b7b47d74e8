"""Consent files at a provider: one record per subject, consumer, product and purpose.

CSV columns: ``subject_id, consumer, product, purpose, expires, evidence_ref``
(UTF-8 or GB18030). Each row is checked — the subject id under the product's
identifier rules (resident ids per GB 11643, companies as ``USCC:<code>``),
a known product, an ISO expiry date, an evidence reference — and an invalid
row is reported with its record number and field, never silently dropped;
the valid rows are kept. Consent records stay at the provider: the space
never sees them.

Which products exist, and what each one's subject is, is not this module's to
know (connectors sit below the product definitions): the caller passes it in,
as ``subjects`` (the CLI builds it from ``products.registry``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from connectors.csv_reader import read_csv
from connectors.identifiers import company_key, normalise_resident_id, resident_id_problem
from connectors.quality import Rejection
from trusted_space.core.errors import InputError, InvalidIdentifier, Location
from trusted_space.core.i18n import Text, english

COLUMNS = ("subject_id", "consumer", "product", "purpose", "expires", "evidence_ref")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
ConsentRow = tuple[str, str, str, str, dt.date, str]


@dataclass
class ConsentFile:
    rows: list[ConsentRow] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def subject_key(raw: str, subject: str) -> str:
    """The normalised subject id ``raw`` of a product whose subjects are
    ``subject`` (``"resident_id"``, else companies); ``ValueError`` saying why
    not."""
    if subject == "resident_id":
        normalised = normalise_resident_id(raw)
        problem = resident_id_problem(normalised)
        if problem is not None:
            raise ValueError(problem)
        return normalised
    try:
        return company_key(raw)
    except InvalidIdentifier as exc:
        raise ValueError(exc.reason) from None


def read_consent_file(path: Path, subjects: Mapping[str, str]) -> ConsentFile:
    """The consent records of ``path``; ``subjects`` maps each known product to
    what its subjects are (``Product.subject``), in the order to list them."""
    read = read_csv(Path(path))
    missing = [c for c in COLUMNS if c not in read.table.column_names]
    if missing:
        raise InputError(
            Text("consent.columns", missing=", ".join(missing)), Location(str(path), None, None)
        )
    out = ConsentFile()
    for row, reason in read.malformed:
        out.rejections.append(Rejection(str(path), row, None, english(reason)))
    records = read.table.to_pylist()
    for record in records:
        row = int(record["_row"])

        def reject(field_name: str, reason: Text, row: int = row) -> None:
            # In English, like a load's report; the terminal says it in the reader's language.
            out.rejections.append(Rejection(str(path), row, field_name, english(reason)))

        product = record["product"].strip()
        if product not in subjects:
            reject("product", Text("err.connectors.consent.product", known=", ".join(subjects)))
            continue
        try:
            subject = subject_key(record["subject_id"], subjects[product])
        except ValueError as exc:
            reject("subject_id", exc.args[0])
            continue
        consumer, purpose = record["consumer"].strip(), record["purpose"].strip()
        if not _NAME.fullmatch(consumer):
            reject("consumer", Text("err.connectors.consent.consumer"))
            continue
        if not _NAME.fullmatch(purpose):
            reject("purpose", Text("err.connectors.consent.purpose"))
            continue
        try:
            expires = dt.date.fromisoformat(record["expires"].strip())
        except ValueError:
            reject("expires", Text("err.connectors.consent.expires"))
            continue
        evidence = record["evidence_ref"].strip()
        if not evidence or len(evidence) > 200:
            reject("evidence_ref", Text("err.connectors.consent.evidence"))
            continue
        out.rows.append((subject, consumer, product, purpose, expires, evidence))
    return out
