"""Party keys of OCDS organisations.

Organisations come from ``parties[]`` and are referenced by id from
``buyer``, ``tender.tenderers[]`` and ``awards[].suppliers[]``; OCDS
1.0-style releases without ``parties`` (CDMX) carry the identifier inline.
The party key comes from ``identifier`` (then ``additionalIdentifiers``),
never from the publisher's local party id, and is always a key a bank can
request (``connectors.identifiers.company_key`` gives it back unchanged):

* ``USCC:<code>`` for a valid unified social credit code under a scheme that
  names one (``USCC_SCHEMES``), under no scheme, or under another ``CN-``
  scheme; a USCC scheme with an invalid code is rejected with the reason;
* for an id without a scheme: the centre's declared default scheme
  (``default_scheme``, as Taiwan's publisher writes every id bare), else
  ``MX-RFC:<id>`` for an id that has the form of a Mexican RFC (CDMX writes
  only the id), with a warning;
* otherwise ``<SCHEME>:<id>`` under the scheme's canonical name
  (``canonical_scheme``): the org-id.guide code for the aliases listed in
  ``connectors/scheme_aliases.csv`` (``RFC`` and the Spanish names of the
  RFC -> ``MX-RFC``), else the name as written, upper-cased, spaces
  collapsed.

A party without a usable identifier is rejected (file, release row, field);
no key is invented for it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from connectors.identifiers import canonical_scheme, normalise_uscc, scheme_key, uscc_error
from connectors.ocds.notes import Notes
from connectors.ocds.values import as_object, id_text
from trusted_space.core.errors import InputError, InvalidIdentifier, Location
from trusted_space.core.i18n import Text, english

# A Mexican RFC: 3 (companies) or 4 (persons) letters, a YYMMDD date and a
# 3-character homoclave. The date may hold a letter O typed for a zero, as
# CDMX's "TTVO711095D2" does; such ids are kept as written, and warned.
_RFC = re.compile(r"([A-ZÑ&]{3,4})([0-9O]{6})([A-Z0-9]{3})")


def read_publisher(path: Path | None) -> str | None:
    """The default scheme a centre declares for its publisher (``--mapping``
    of an OCDS load: a YAML or JSON object ``{default_scheme: <scheme>}``),
    canonicalised; None without a file."""
    if path is None:
        return None
    where = Location(str(path), None, None)
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(Text("ocds.declaration_unreadable", reason=exc), where) from exc
    if not isinstance(doc, dict) or set(doc) != {"default_scheme"}:
        raise InputError(Text("ocds.declaration_keys"), where)
    scheme = doc["default_scheme"]
    if not isinstance(scheme, str):
        raise InputError(Text("ocds.declaration_scheme"), where)
    try:
        return canonical_scheme(scheme)
    except InvalidIdentifier as exc:
        raise InputError(Text("ocds.declaration_bad", reason=exc.reason), where) from exc


@dataclass(frozen=True)
class PartyId:
    key: str
    scheme: str
    identifier: str


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str | Text


def _scheme(value: Any) -> str | None:
    """The scheme as written, or None when there is none."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value


def _uscc(ident: str) -> tuple[str, str | Text | None]:
    """(normalised code, why it is invalid or None). NFKC first: the shared
    normaliser maps full-width capitals but not full-width small letters."""
    code = normalise_uscc(unicodedata.normalize("NFKC", ident))
    return code, (uscc_error(code) if code else Text("err.connectors.ocds.empty_code"))


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


def party_identity(
    org: dict[str, Any], path: str, notes: Notes, default_scheme: str | None = None
) -> PartyId | Problem:
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
        written = _scheme(candidate.get("scheme"))
        if written is None and default_scheme is not None:
            notes.count("default_scheme")
            written = default_scheme
        try:
            scheme = None if written is None else canonical_scheme(written)
        except InvalidIdentifier as exc:
            return Problem(f"{where}.scheme", english(exc.reason))
        if scheme == "USCC":
            code, error = _uscc(ident)
            if error is not None:
                return Problem(f"{where}.id", Text("err.connectors.ocds.uscc", reason=error))
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
                return _keyed("MX-RFC", ident, where)
            unschemed = unschemed or Problem(
                f"{where}.scheme", Text("err.connectors.ocds.no_scheme")
            )
            continue
        return _keyed(scheme, ident, where)
    return unschemed or Problem(f"{path}.identifier", Text("err.connectors.ocds.no_identifier"))


def _keyed(scheme: str, ident: str, where: str) -> PartyId | Problem:
    """The key a bank writes for (scheme, id), the very function it uses."""
    try:
        key = scheme_key(scheme, ident)
    except InvalidIdentifier as exc:
        return Problem(f"{where}.id", english(exc.reason))
    code, _, identifier = key.partition(":")
    return PartyId(key, code, identifier)


def party_name(org: dict[str, Any]) -> str | None:
    for value in (org.get("name"), as_object(org.get("identifier")).get("legalName")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
