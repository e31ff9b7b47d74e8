"""Merging OCDS releases into a compiled release.

Each release of a contracting process (one ocid) reports only what changed or
was known at its date. The compiled release is the state after applying the
releases in date order, following the OCDS merge routine
(https://standard.open-contracting.org/latest/en/schema/merging/):

* objects are merged key by key, recursively;
* a later value replaces an earlier one; a later explicit ``null`` removes the
  field (so a compiled release never holds ``null`` as an object value);
* an array whose items are all objects with an ``id`` (parties, awards,
  contracts, tenderers, ...) is merged item by item, matching items by id:
  a matched item is merged recursively, a new id is appended, and an item the
  later release leaves out stays;
* any other array (strings, objects without ids, empty) is replaced whole by
  the later one.

Ids are matched by their text, so the integer contract id 991324 and the
string "991324" (record-package-1 writes both) are the same item. The
schema-driven refinements of the reference implementation (``ocdsmerge``:
whole-list-merge fields, versioned releases) are not needed to read parties,
tenders and awards, and are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

# Releases come from JSON: objects are dicts. Testing ``dict`` rather than the
# ``Mapping`` ABC halves the merge's cost (an ABC check is a Python call).

COMPILED_TAG = ["compiled"]


def merge_releases(releases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of ``releases``, which must already be in date
    order (see ``release_sort_key``); ``tag`` becomes ``["compiled"]``."""
    compiled: dict[str, Any] = {}
    for release in releases:
        merge_into(compiled, release)
    compiled["tag"] = list(COMPILED_TAG)
    return compiled


def merge_into(compiled: dict[str, Any], release: dict[str, Any]) -> None:
    """Apply one ``release`` on top of ``compiled``, in place. Values taken from
    ``release`` are copied, so later changes to it do not reach ``compiled``."""
    for key, value in release.items():
        if value is None:
            compiled.pop(key, None)
            continue
        earlier = compiled.get(key)
        if isinstance(value, dict):
            if isinstance(earlier, dict):
                merge_into(earlier, value)
            else:
                compiled[key] = _copy(value)
        elif isinstance(value, list) and _merged_by_id(value):
            if isinstance(earlier, list) and _merged_by_id(earlier):
                _merge_by_id(earlier, value)
            else:
                merged: list[Any] = []
                _merge_by_id(merged, value)
                compiled[key] = merged
        else:
            compiled[key] = _copy(value)


def _merged_by_id(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and i.get("id") is not None for i in items)


def _id_text(value: Any) -> str:
    return str(value).strip()


def _merge_by_id(earlier: list[Any], later: list[Any]) -> None:
    position = {_id_text(item["id"]): i for i, item in enumerate(earlier)}
    for item in later:
        key = _id_text(item["id"])
        if key in position:
            merge_into(earlier[position[key]], item)
        else:
            position[key] = len(earlier)
            fresh: dict[str, Any] = {}
            merge_into(fresh, item)
            earlier.append(fresh)


def _copy(value: Any) -> Any:
    """A deep copy that drops nulls inside objects, as merging into an empty
    object would; array items are kept as they are (``[null]`` stays)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def release_sort_key(date: Any) -> str:
    """A text key that sorts release dates in time order across UTC offsets:
    the UTC timestamp, or "" for a missing or unreadable date (those releases
    go first, before every dated one). A date without an offset is taken as
    UTC."""
    parsed = parse_datetime(date)
    if parsed is None:
        return ""
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
