"""Party keys of OCDS organisations.

Organisations come from ``parties[]`` and are referenced by id from
``buyer``, ``tender.tenderers[]`` and ``awards[].suppliers[]``; OCDS
1.0-style releases without ``parties`` (CDMX) carry the identifier inline.
The party key comes from ``identifier`` (then ``additionalIdentifiers``),
never from the publisher's local party id:

* ``USCC:<code>`` for a valid unified social credit code under a scheme that
  names one (``USCC_SCHEMES``), under no scheme, or under another ``CN-``
  scheme; a USCC scheme with an invalid code is rejected with the reason;
* ``MX-RFC:<id>`` for an id without a scheme that has the form of a Mexican
  RFC (CDMX writes only the id), with a warning;
* otherwise ``<SCHEME>:<id>``, the scheme upper-cased, descriptive names that
  publishers write instead of the org-id.guide code mapped by
  ``SCHEME_ALIASES`` (so the keys match the ``MX-RFC:...`` a bank writes).

A party without a usable identifier is rejected (file, release row, field);
no key is invented for it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from connectors.identifiers import USCC_SCHEMES, normalise_uscc, uscc_error
from connectors.ocds.notes import Notes
from connectors.ocds.values import as_object, id_text

# Descriptive scheme names publishers write instead of org-id.guide codes
# (upper-cased, spaces collapsed), as seen in Compranet and DNCP data.
SCHEME_ALIASES = {
    "REGISTRO FEDERAL DE CONTRIBUYENTES DE MÉXICO": "MX-RFC",
    "REGISTRO FEDERAL DE CONTRIBUYENTES": "MX-RFC",
    "REGISTRO ÚNICO DE CONTRIBUYENTE EMITIDO POR EL MINISTERIO DE HACIENDA": "PY-RUC",
}
# A Mexican RFC: 3 (companies) or 4 (persons) letters, a YYMMDD date and a
# 3-character homoclave. The date may hold a letter O typed for a zero, as
# CDMX's "TTVO711095D2" does; such ids are kept as written, and warned.
_RFC = re.compile(r"([A-ZÑ&]{3,4})([0-9O]{6})([A-Z0-9]{3})")


@dataclass(frozen=True)
class PartyId:
    key: str
    scheme: str
    identifier: str


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str


def _scheme(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    scheme = " ".join(value.split()).upper()
    return SCHEME_ALIASES.get(scheme, scheme)


def _uscc(ident: str) -> tuple[str, str | None]:
    """(normalised code, why it is invalid or None). NFKC first: the shared
    normaliser maps full-width capitals but not full-width small letters."""
    code = normalise_uscc(unicodedata.normalize("NFKC", ident))
    return code, (uscc_error(code) if code else "empty code")


def _rfc_form(ident: str) -> Literal["valid", "bad date"] | None:
    """Whether an id without a scheme reads as a Mexican RFC, and whether its
    date part is a real date."""
    match = _RFC.fullmatch(ident.upper())
    if not match:
        return None
    if "O" not in match[2]:
        yy, mm, dd = (int(match[2][i : i + 2]) for i in (0, 2, 4))
        for century in (1900, 2000):
            try:
                dt.date(century + yy, mm, dd)
                return "valid"
            except ValueError:
                continue
    return "bad date"


def party_identity(org: dict[str, Any], path: str, notes: Notes) -> PartyId | Problem:
    """The party key of an organisation object at ``path`` (see the module
    docstring), or why it has none."""
    candidates: list[tuple[str, Any]] = [(f"{path}.identifier", org.get("identifier"))]
    extra = org.get("additionalIdentifiers")
    if isinstance(extra, list):
        candidates += [(f"{path}.additionalIdentifiers[{i}]", c) for i, c in enumerate(extra)]
    unschemed: Problem | None = None
    for where, candidate in candidates:
        if not isinstance(candidate, dict):
            continue
        ident = id_text(candidate.get("id"), notes)
        if ident is None:
            continue
        scheme = _scheme(candidate.get("scheme"))
        if scheme in USCC_SCHEMES:
            code, error = _uscc(ident)
            if error is not None:
                return Problem(f"{where}.id", f"not a valid unified social credit code: {error}")
            return PartyId(f"USCC:{code}", "USCC", code)
        if scheme is None or scheme.startswith("CN-"):
            code, error = _uscc(ident)
            if error is None:
                return PartyId(f"USCC:{code}", "USCC", code)
        if scheme is None:
            rfc = _rfc_form(ident)
            if rfc is not None:
                notes.count("rfc_inferred")
                if rfc == "bad date":
                    notes.count("rfc_bad_date")
                return PartyId(f"MX-RFC:{ident}", "MX-RFC", ident)
            unschemed = unschemed or Problem(
                f"{where}.scheme",
                "no scheme, and the id is neither a unified social credit code nor a "
                "Mexican RFC; no party key is invented",
            )
            continue
        return PartyId(f"{scheme}:{ident}", scheme, ident)
    return unschemed or Problem(
        f"{path}.identifier",
        "no identifier (id) or additionalIdentifiers; no party key is invented",
    )


def party_name(org: dict[str, Any]) -> str | None:
    for value in (org.get("name"), as_object(org.get("identifier")).get("legalName")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
