"""Values as OCDS publishers write them: objects and lists where the schema
wants them (or empty ones), ids as text, dates as their leading day."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from connectors.ocds.notes import Notes

_FLOAT_LIKE_ID = re.compile(r"([0-9]+)\.0+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def as_object(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one: publishers write
    ``null`` or the wrong type where an object belongs."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def id_text(value: Any, notes: Notes | None = None) -> str | None:
    """An id as text: numbers and strings alike, NFKC (full-width digits are
    the same id) and stripped; an integral number written like a float
    ("11111111.0", a spreadsheet's doing) loses its ".0"."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    if isinstance(value, Decimal | float):
        if Decimal(value).is_finite() and value == int(value):
            if notes is not None:
                notes.count("float_id")
            return str(int(value))
        return str(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _FLOAT_LIKE_ID.fullmatch(text)
    if match:
        if notes is not None:
            notes.count("float_id")
        return match[1]
    return text or None


def date_part(value: Any) -> str | None:
    """The leading YYYY-MM-DD of a date or timestamp as written; anything else
    is passed on so that validation names the problem."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return text[:10] if _ISO_DATE.match(text) else text
