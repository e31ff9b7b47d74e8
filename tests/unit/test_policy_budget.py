"""The privacy-budget constraint on its own (``policies.constraints.PrivacyBudget``):
each branch, each edge, what it asks the usage counter, and the words a
steward reads, in both languages. The mutation run of the constraints
(tests/mutation.py) found this check reached only through whole jobs."""

from __future__ import annotations

import datetime as dt

import pytest

from policies.constraints import JobRequest, PrivacyBudget
from products.registry import get_product
from tests.usage_counter import FakeUsage
from trusted_space.core.clock import CHINA

# 2026-05-20 01:30 in China is still 2026-05-19 in UTC: the period is China's.
WHEN = dt.datetime(2026, 5, 19, 17, 30, tzinfo=dt.UTC)


def job(product: str = "cohort_statistics", epsilon: float | None = 0.5) -> JobRequest:
    return JobRequest(
        consumer="analyst",
        product=get_product(product),
        purpose="research",
        batch_size=0,
        features=[],
        providers={},
        when=WHEN,
        epsilon=epsilon,
    )


BUDGET = PrivacyBudget(per_query=1.0, budget=2.0, period="month")


def one(checks: list) -> tuple[bool, str, str]:  # type: ignore[type-arg]
    (check,) = checks
    assert check.constraint == "privacy_budget"
    return check.ok, check.detail, check.detail_zh


def test_an_aggregate_without_epsilon_is_denied() -> None:
    assert get_product("cohort_statistics").output_mode == "aggregate"
    assert one(BUDGET.check(job(epsilon=None), FakeUsage(epsilon=0.0))) == (
        False,
        "the policy requires differential privacy and the query sets no epsilon",
        "本策略要求差分隐私，而该查询未设定 epsilon",
    )


def test_a_score_without_epsilon_spends_nothing() -> None:
    assert get_product("underwriting_score").output_mode == "score"
    usage = FakeUsage(epsilon=5.0)
    assert one(BUDGET.check(job("underwriting_score", epsilon=None), usage)) == (
        True,
        "the job spends no privacy budget",
        "该任务不消耗隐私预算",
    )
    assert usage.asked == []


@pytest.mark.parametrize(("epsilon", "ok"), [(1.0, True), (1.0001, False)])
def test_the_per_query_cap_is_inclusive(epsilon: float, ok: bool) -> None:
    got = one(BUDGET.check(job(epsilon=epsilon), FakeUsage(epsilon=0.0)))
    assert got[0] is ok
    if not ok:
        assert got[1:] == (
            "epsilon 1.0001 exceeds 1.0 per query",
            "epsilon 1.0001 超过每次查询的上限 1.0",
        )


def test_without_a_counter_the_budget_is_named_and_not_counted() -> None:
    assert one(BUDGET.check(job(), None)) == (
        True,
        "budget 2.0 a month (usage not counted here)",
        "预算为每月 2.0（此处不计用量）",
    )


@pytest.mark.parametrize(
    ("spent", "asks", "ok"),
    [
        (1.5, 0.5, True),  # exactly the budget
        (1.0, 0.5, True),
        (1.6, 0.5, False),  # just over
        (0.0, 1.0, True),
        (2.0, 0.1, False),  # spent already
    ],
)
def test_what_is_spent_plus_what_is_asked_must_fit(spent: float, asks: float, ok: bool) -> None:
    usage = FakeUsage(epsilon=spent)
    got = one(BUDGET.check(job(epsilon=asks), usage))
    assert got == (
        ok,
        f"{spent:g} of 2 epsilon spent this month, this query asks {asks:g}",
        f"本月已用 epsilon {spent:g}，预算 2，本次查询要求 {asks:g}",
    )


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("day", dt.datetime(2026, 5, 20, tzinfo=CHINA)),
        ("month", dt.datetime(2026, 5, 1, tzinfo=CHINA)),
        ("quarter", dt.datetime(2026, 4, 1, tzinfo=CHINA)),
        ("year", dt.datetime(2026, 1, 1, tzinfo=CHINA)),
    ],
)
def test_the_counter_is_asked_for_this_consumer_product_and_period(
    period: str, start: dt.datetime
) -> None:
    usage = FakeUsage(epsilon=0.0)
    PrivacyBudget(per_query=1.0, budget=2.0, period=period).check(job(), usage)
    assert usage.asked == [("epsilon", "analyst", "cohort_statistics", start)]


def test_the_period_is_named_in_both_languages() -> None:
    day = PrivacyBudget(per_query=1.0, budget=3.0, period="day")
    assert one(day.check(job(), FakeUsage(epsilon=0.25))) == (
        True,
        "0.25 of 3 epsilon spent this day, this query asks 0.5",
        "本日已用 epsilon 0.25，预算 3，本次查询要求 0.5",
    )
