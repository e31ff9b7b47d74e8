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
