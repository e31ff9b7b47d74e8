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
