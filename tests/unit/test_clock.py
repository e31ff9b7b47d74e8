"""One time convention for people: China time with the zone spelt out."""

from __future__ import annotations

import datetime as dt

from trusted_space.core.clock import china_isoformat, china_time


def test_a_ledger_timestamp_in_utc_reads_as_china_time_with_its_zone() -> None:
    assert china_time("2026-06-01T16:30:05.123456+00:00") == "2026-06-02 00:30:05 UTC+08:00"
    naive_utc = dt.datetime(2026, 6, 1, 16, 30, 5)
    assert china_time(naive_utc) == "2026-06-02 00:30:05 UTC+08:00"
    assert china_time("not a time") == "not a time"


def test_iso_output_carries_the_china_offset() -> None:
    when = dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)
    assert china_isoformat(when) == "2027-01-01T07:00:00+08:00"


def test_a_naive_moment_is_read_as_utc_in_iso_output_too() -> None:
    naive = dt.datetime(2026, 6, 1, 16, 30, 5)
    assert china_isoformat(naive) == "2026-06-02T00:30:05+08:00"
