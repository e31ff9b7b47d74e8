"""China Standard Time and calendar periods: the one clock convention of tspace.

Quotas, budgets, metering and consent expiry count days, months, quarters and
years as people in China do, in UTC+08:00 whatever the machine's zone.
"""

from __future__ import annotations

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def period_start(when: dt.datetime, period: str) -> dt.datetime:
    """Start of the day, month, quarter or year containing ``when``, China time."""
    local = when.astimezone(CHINA)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(day=1, month=3 * ((local.month - 1) // 3) + 1)
    if period == "year":
        return day.replace(day=1, month=1)
    raise ValueError(f"unknown period {period!r}")


# How every time is shown to people: China time with its zone written out.
# "CST" is ambiguous (China, Central US, Cuba), so the offset is spelt out.
ZONE_LABEL = "UTC+08:00"


def china_time(when: dt.datetime | str) -> str:
    """A moment as people read it: ``2026-06-01 15:04:05 UTC+08:00``.

    Accepts an aware datetime or an ISO timestamp (the ledger's, UTC); a
    value that is not a timestamp comes back unchanged.
    """
    if isinstance(when, str):
        try:
            moment = dt.datetime.fromisoformat(when)
        except ValueError:
            return when
    else:
        moment = when
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(CHINA):%Y-%m-%d %H:%M:%S} {ZONE_LABEL}"


def china_isoformat(when: dt.datetime) -> str:
    """ISO 8601 in China time, offset included: ``2026-06-01T15:04:05+08:00``
    (a naive moment is UTC, as ``china_time`` reads it)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(CHINA).isoformat(timespec="seconds")
