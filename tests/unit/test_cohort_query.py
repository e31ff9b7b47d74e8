"""Invalid cohort queries: each refused with one clear error that names the
file and the field at fault (the CLI prints it as one line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from products.cohort.query import load_query, parse_query
from trusted_space.core.errors import InputError

GOOD: dict[str, Any] = {
    "hospital": {"cohort": "inpatients", "from": "2026-01-01", "to": "2026-06-30"},
    "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
    "measures": ["count", "sum_cost"],
    "group_by": ["sex"],
    "min_count": 5,
}
REPORTS = {
    "cohort": "confirmed_reports",
    "codes": "A15-A19",
    "from": "2022-01-01",
    "to": "2026-10-31",
}


def query(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in {**GOOD, **fields}.items() if v is not None}


def hospital(**fields: Any) -> dict[str, Any]:
    return {**GOOD["hospital"], **fields}


# (label, the query, the field path named, words of the reason)
CASES: list[tuple[str, Any, str, str]] = [
    ("not a mapping", ["count"], "(query)", "valid dictionary"),
    ("no hospital", query(hospital=None), "hospital", "Field required"),
    ("unknown key", query(where="1=1"), "where", "Extra inputs"),
    (
        "unknown cohort",
        query(hospital=hospital(cohort="everyone")),
        "hospital.cohort",
        "inpatients",
    ),
    ("free SQL in a cohort", query(hospital=hospital(cohort="x; DROP")), "hospital.cohort", ""),
    (
        "no 'from'",
        query(hospital={"cohort": "inpatients", "to": "2026-01-01"}),
        "hospital.from",
        "",
    ),
    ("a bad date", query(hospital=hospital(to="2026-02-30")), "hospital.to", "date"),
    ("from after to", query(hospital=hospital(**{"from": "2026-07-01"})), "hospital", "after"),
    ("icd10 without codes", query(hospital=hospital(cohort="icd10_visits")), "hospital", "codes"),
    (
        "icd10 with bad codes",
        query(hospital=hospital(cohort="icd10_visits", codes="E10-")),
        "hospital",
        "codes like",
    ),
    (
        "registry without condition",
        query(cdc={"cohort": "chronic_registry"}),
        "cdc",
        "needs a condition",
    ),
    (
        "reports without codes",
        query(cdc={k: v for k, v in REPORTS.items() if k != "codes"}),
        "cdc",
        "codes like",
    ),
    (
        "reports with dates reversed",
        query(cdc={**REPORTS, "from": "2026-12-01"}),
        "cdc",
        "'from' <= 'to'",
    ),
    ("an unknown cdc key", query(cdc={**GOOD["cdc"], "sql": "x"}), "cdc.sql", "Extra inputs"),
    ("no measures", query(measures=[]), "measures", "at least 1"),
    ("an unknown measure", query(measures=["count", "avg_age"]), "measures.1", "count"),
    ("a measure repeated", query(measures=["count", "count"]), "(query)", "measures repeat"),
    ("an unknown dimension", query(group_by=["name"]), "group_by.0", "sex"),
    ("a dimension repeated", query(group_by=["sex", "sex"]), "(query)", "repeats"),
    ("negative min_count", query(min_count=-1), "min_count", "greater than or equal to 0"),
    ("min_count a string", query(min_count="five"), "min_count", "integer"),
    ("epsilon zero", query(dp={"epsilon": 0}), "dp.epsilon", "greater than 0"),
    ("epsilon too large", query(dp={"epsilon": 1000}), "dp.epsilon", "less than or equal to 100"),
    ("dp without epsilon", query(dp={}), "dp.epsilon", "Field required"),
    (
        "count_reports off its cohort",
        query(measures=["count", "count_reports"]),
        "(query)",
        "count_reports needs the confirmed_reports cohort",
    ),
    (
        "count_reports by hospital",
        query(cdc=REPORTS, measures=["count_reports"], group_by=["hospital_id"]),
        "(query)",
        "only be grouped by sex and age_band",
    ),
]


def test_the_good_query_parses() -> None:
    q = parse_query(GOOD)
    assert (q.hospital.cohort, q.cdc.condition, q.values) == (
        "inpatients",
        "diabetes",
        ["count", "sum_cost"],
    )


@pytest.mark.parametrize(("label", "data", "field", "why"), CASES, ids=[c[0] for c in CASES])
def test_an_invalid_query_names_its_field(
    label: str, data: Any, field: str, why: str, tmp_path: Path
) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_query(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert f"{field}: " in message and why in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"hospital: [unclosed\n", "cannot read the query"), (b"\xff\xfe", "cannot read the query")],
)
def test_an_unreadable_query_file(content: bytes, why: str, tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=why):
        load_query(path)


# Issue 22, item 7: a query's shape is bounded before any provider works.
ATTACK = query(
    hospital=hospital(**{"from": "1900-01-01", "to": "2099-12-31"}),
    group_by=["month", "sex", "age_band"],
)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "may span at most 120 months; this one spans 2400"), ("zh-CN", "最多跨 120 个月")],
)
def test_a_query_of_two_centuries_by_month_is_refused_in_both_languages(
    language: str, words: str
) -> None:
    from trusted_space.core.i18n import language as current
    from trusted_space.core.i18n import set_language

    before = current()
    set_language(language)
    try:
        with pytest.raises(InputError) as refused:
            parse_query(ATTACK, "attack.yaml")
    finally:
        set_language(before)
    assert words in str(refused.value)
    assert "attack.yaml" in str(refused.value)


def test_the_shape_bounds_at_their_edges() -> None:
    """Ten years by month, sex and age band (2,640 cells) pass; a month more
    by month is refused; a month more without grouping by month is fine."""
    ten_years = hospital(**{"from": "2016-01-01", "to": "2025-12-31"})
    longer = hospital(**{"from": "2016-01-01", "to": "2026-01-01"})
    by_month = ["month", "sex", "age_band"]
    assert parse_query(query(hospital=ten_years, group_by=by_month)).month_count() == 120
    with pytest.raises(InputError, match="121"):
        parse_query(query(hospital=longer, group_by=by_month))
    assert parse_query(query(hospital=longer, group_by=["sex", "age_band"])).month_count() == 121


def test_the_hospitals_ids_count_when_the_layout_is_built() -> None:
    """The hospital declares its ids only when it computes: a layout of sex
    x age band x 455 hospitals (10,010 cells) is refused there, 454 pass."""
    from products.cohort.layout import build_layout

    q = parse_query(query(group_by=["sex", "age_band", "hospital_id"]))
    assert len(build_layout(q, [f"H{i:03d}" for i in range(454)], 2048).cells) == 9_988
    with pytest.raises(InputError, match="10010"):
        build_layout(q, [f"H{i:03d}" for i in range(455)], 2048)
