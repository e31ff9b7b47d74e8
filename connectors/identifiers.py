"""Resident identity numbers (GB 11643-1999).

An 18-character number: 6-digit region, 8-digit birth date (YYYYMMDD), 3-digit
sequence (odd for men, even for women) and a check character. The check is
``(12 - sum(w_i * d_i) mod 11) mod 11`` over the first 17 digits with weights
7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2; the value 10 is written ``X``.

The same rules exist twice, on purpose: ``resident_id_error`` for one value in
Python (the consumer's batch, tests) and ``resident_id_error_sql`` as a DuckDB
expression for millions of provider rows at once. A property test keeps them
equal.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import unicodedata
from pathlib import Path

from trusted_space.core.errors import InvalidIdentifier, Location
from trusted_space.core.i18n import Text, english

RESIDENT_ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Index: sum mod 11; value: the check character (12 - s) mod 11, 10 written X.
RESIDENT_ID_CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1850

# Whitespace (ASCII and the ideographic space) is removed; full-width digits and
# a lower-case or full-width x become their ASCII upper-case forms.
_FULLWIDTH_FROM = "０１２３４５６７８９ｘＸx"
_FULLWIDTH_TO = "0123456789XXX"
_TRANSLATE = str.maketrans(_FULLWIDTH_FROM, _FULLWIDTH_TO, " \t\r\n\u3000")


def normalise_resident_id(raw: str) -> str:
    """Strip whitespace, map full-width characters and upper-case a trailing x."""
    return raw.translate(_TRANSLATE)


def resident_id_check_char(first17: str) -> str:
    """The check character for 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("resident_id_check_char needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def resident_id_problem(normalised: str) -> Text | None:
    """Why a normalised id is invalid (said in the reader's language), or None."""
    if len(normalised) != 18:
        return Text("id.wrong_length", n=len(normalised))
    body, check = normalised[:17], normalised[17]
    if not (body.isascii() and body.isdigit()):
        return Text("id.first17_digits")
    if not (check.isascii() and (check.isdigit() or check == "X")):
        return Text("id.last_char")
    try:
        born = dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return Text("id.birth_date", date=body[6:14])
    if born.year < EARLIEST_BIRTH_YEAR or born > dt.date.today():
        return Text("id.birth_date", date=body[6:14])
    expected = resident_id_check_char(body)
    if check != expected:
        return Text("id.check_char", got=check, expected=expected)
    return None


def resident_id_error(normalised: str) -> str | None:
    """Why a normalised id is invalid, in English (output files, the test
    vectors), or None when it is valid."""
    problem = resident_id_problem(normalised)
    return None if problem is None else english(problem)


def validate_resident_id(raw: str, location: Location | None = None) -> str:
    """Return the normalised id or raise ``InvalidIdentifier`` naming ``location``."""
    if not isinstance(raw, str):
        raise TypeError("a resident id must be given as str")
    value = normalise_resident_id(raw)
    if value == "":
        raise InvalidIdentifier(Text("id.empty_resident"), location)
    problem = resident_id_problem(value)
    if problem is not None:
        raise InvalidIdentifier(problem, location)
    return value


def is_valid_resident_id(raw: str) -> bool:
    return resident_id_error(normalise_resident_id(raw)) is None


def birth_date(person_id: str) -> dt.date:
    """Birth date of a valid, normalised id."""
    return dt.date(int(person_id[6:10]), int(person_id[10:12]), int(person_id[12:14]))


def sex(person_id: str) -> str:
    """'M' when the 17th digit is odd, 'F' when even."""
    return "M" if int(person_id[16]) % 2 else "F"


def normalise_resident_id_sql(column: str) -> str:
    """DuckDB expression: the normalised form of ``column`` (a quoted identifier)."""
    return f"translate({column}, '{_FULLWIDTH_FROM} \t\r\n\u3000', '{_FULLWIDTH_TO}')"


def resident_id_error_sql(column: str) -> str:
    """DuckDB expression: NULL for a valid normalised id in ``column``, else the reason.

    Mirrors ``resident_id_error`` exactly; the argument must already be normalised.
    """
    checksum = " + ".join(
        f"{w} * TRY_CAST(substr({column}, {i + 1}, 1) AS INTEGER)"
        for i, w in enumerate(RESIDENT_ID_WEIGHTS)
    )
    born = f"try_strptime(substr({column}, 7, 8), '%Y%m%d')"
    return f"""CASE
        WHEN {column} IS NULL THEN 'missing value'
        WHEN length({column}) <> 18
            THEN 'wrong length ' || length({column}) || ' (expected 18)'
        WHEN NOT regexp_full_match(substr({column}, 1, 17), '[0-9]{{17}}')
            THEN 'the first 17 characters must be digits'
        WHEN NOT regexp_full_match(substr({column}, 18, 1), '[0-9X]')
            THEN 'the last character must be a digit or X'
        WHEN NOT regexp_full_match(substr({column}, 7, 8), '[0-9]{{8}}')
            OR {born} IS NULL
            OR strftime({born}, '%Y%m%d') <> substr({column}, 7, 8)
            OR year({born}) < {EARLIEST_BIRTH_YEAR}
            OR CAST({born} AS DATE) > current_date
            THEN 'impossible birth date ' || substr({column}, 7, 8)
        WHEN substr('{RESIDENT_ID_CHECK_CHARS}', (({checksum}) % 11) + 1, 1)
             <> substr({column}, 18, 1)
            THEN 'check character ' || substr({column}, 18, 1)
                 || ' does not match the computed '
                 || substr('{RESIDENT_ID_CHECK_CHARS}', (({checksum}) % 11) + 1, 1)
        ELSE NULL
    END"""


# -- unified social credit codes (GB 32100-2015) ------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_TRANSLATE = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    " \t\r\n\u3000-",
)


def normalise_uscc(raw: str) -> str:
    """Strip whitespace and hyphens, map full-width characters, upper-case."""
    return unicodedata.normalize("NFKC", raw).upper().translate(_USCC_TRANSLATE)


def uscc_check_char(first17: str) -> str:
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError("uscc_check_char needs 17 characters of the USCC charset")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


@functools.lru_cache(maxsize=1 << 16)
def uscc_problem(normalised: str) -> Text | None:
    """Why a normalised unified social credit code is invalid, or None.

    18 characters from 0-9 A-H J-N P-R T U W-Y; the first 8 are digits
    (registration authority, organisation type, 6-digit region); the 18th is
    charset[(31 - sum(w_i * v_i) mod 31) mod 31] with w_i = 3^(i-1) mod 31.
    """
    if len(normalised) != 18:
        return Text("id.wrong_length", n=len(normalised))
    bad = sorted({c for c in normalised if c not in _USCC_VALUE})
    if bad:
        return Text("uscc.chars", chars="".join(bad))
    if not normalised[:8].isdigit():
        return Text("uscc.first8")
    expected = uscc_check_char(normalised[:17])
    if normalised[17] != expected:
        return Text("id.check_char", got=normalised[17], expected=expected)
    return None


def uscc_error(normalised: str) -> str | None:
    """``uscc_problem`` in English (the test vectors), or None."""
    problem = uscc_problem(normalised)
    return None if problem is None else english(problem)


def validate_uscc(raw: str, location: Location | None = None) -> str:
    value = normalise_uscc(raw)
    problem = uscc_problem(value) if value else Text("uscc.empty")
    if problem is not None:
        raise InvalidIdentifier(problem, location)
    return value


# -- company keys: how a company is named across centres and banks --------------

# Scheme names under which publishers write a unified social credit code.
USCC_SCHEMES = frozenset(
    {"CN-USCC", "CN-SAMR", "CN-SAIC", "USCC", "统一社会信用代码", "統一社會信用代碼"}
)
MAX_SCHEME = 128
MAX_IDENT = 128
# Scheme names publishers write instead of an org-id.guide code, each with its
# source (docs/connectors.md, "Company keys").
SCHEME_ALIASES_FILE = Path(__file__).with_name("scheme_aliases.csv")


def scheme_text(raw: str) -> str:
    """A scheme name compared as written: NFKC, spaces collapsed, upper case."""
    return " ".join(unicodedata.normalize("NFKC", raw).split()).upper()


@functools.cache
def scheme_aliases() -> dict[str, str]:
    """Alias (as ``scheme_text`` writes it) -> canonical code, from the data file."""
    with SCHEME_ALIASES_FILE.open(encoding="utf-8", newline="") as fh:
        return {scheme_text(r["alias"]): scheme_text(r["code"]) for r in csv.DictReader(fh)}


def canonical_scheme(raw: str, location: Location | None = None) -> str:
    """The one name of a scheme: ``USCC`` for a name of the unified social
    credit code, the org-id.guide code for a listed alias (``RFC`` ->
    ``MX-RFC``), else the name itself (``scheme_text``). Any scheme is
    accepted except an empty one, an overlong one or one with a colon (the
    key's separator) or a control character."""
    text = scheme_text(raw)
    if not text:
        raise InvalidIdentifier(Text("scheme.empty"), location)
    if len(text) > MAX_SCHEME:
        raise InvalidIdentifier(Text("scheme.long", n=MAX_SCHEME), location)
    if ":" in text or not text.isprintable():
        raise InvalidIdentifier(Text("scheme.bad", scheme=repr(text)), location)
    if text in USCC_SCHEMES:
        return "USCC"
    return scheme_aliases().get(text, text)


def scheme_key(scheme: str, ident: str, location: Location | None = None) -> str:
    """``<canonical scheme>:<id>``; a unified social credit code is checked
    and keyed ``USCC:<code>``. The id is NFKC and stripped, as the OCDS
    connector reads ids, and otherwise kept as written."""
    code = canonical_scheme(scheme, location)
    if code == "USCC":
        return "USCC:" + validate_uscc(ident, location)
    text = unicodedata.normalize("NFKC", ident).strip()
    if not text or len(text) > MAX_IDENT:
        raise InvalidIdentifier(Text("ident.empty_long"), location)
    if not text.isprintable():
        raise InvalidIdentifier(Text("ident.control"), location)
    return f"{code}:{text}"


def company_key(raw: str, location: Location | None = None) -> str:
    """The key a company is matched on: ``USCC:<code>`` for a unified social
    credit code (bare, or under a scheme that names one), else
    ``<SCHEME>:<id>`` under the scheme's canonical name (``canonical_scheme``:
    ``RFC:X`` and ``MX-RFC:X`` are one key). A bare value that is not a valid
    USCC is refused, never guessed at."""
    text = raw.strip()
    if ":" in text:
        scheme, _, ident = text.partition(":")
        return scheme_key(scheme, ident, location)
    return "USCC:" + validate_uscc(text, location)


def company_key_error(key: str) -> str | None:
    """Why a key is not a normalised company key, or None."""
    try:
        canonical = company_key(key)
    except InvalidIdentifier as exc:
        return f"not a company key (USCC:<code> or SCHEME:id): {english(exc.reason)}"
    if canonical != key:
        return f"not in canonical form (expected {canonical})"
    return None
