"""Each small constraint of ``policies.constraints``, at and beside its edges:
whether it passes and exactly what a steward reads, in English and zh-CN,
with every figure it names, and what it asks the usage counter. The
mutation run of the constraints (tests/mutation.py) found reasons whose
figures could be dropped, and counters asked for another consumer, with
every other test still passing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from policies.constraints import (
    AllOwnersTogether,
    BatchSize,
    Check,
    ColumnClasses,
    ConsentEvidence,
    Constraint,
    ConsumerAllowed,
    DailyJobs,
    FeaturesAllowed,
    JobRequest,
    LookupEngine,
    ModelApproved,
    MonthlySubjects,
    OutputMode,
    ParameterSettings,
    PurposeAllowed,
    Validity,
)
from policies.model import ColumnClass
from products.registry import get_product
from tests.usage_counter import FakeUsage
from trusted_space.core.clock import CHINA
from trusted_space.core.i18n import language, set_language

# 01:30 on 2026-05-20 in China, still 2026-05-19 in UTC: a constraint's day is China's.
WHEN = dt.datetime(2026, 5, 19, 17, 30, tzinfo=dt.UTC)
A, B = "a" * 64, "b" * 64


def said(check: Check) -> tuple[str, bool, str, str]:
    """A check as a steward reads it: which constraint, passed or not, its
    words in English and in zh-CN."""
    return check.constraint, check.ok, check.detail, check.detail_zh


def job(
    batch: int = 10,
    model: str | None = None,
    product: str = "underwriting_score",
    consent: list[str] | None = None,
    providers: dict[str, list[str]] | None = None,
    engine: str | None = None,
    purpose: str = "underwriting",
    consumer: str = "insurer",
) -> JobRequest:
    return JobRequest(
        consumer=consumer,
        product=get_product(product),
        purpose=purpose,
        batch_size=batch,
        features=[],
        providers=providers or {},
        when=WHEN,
        model_sha256=model,
        consent_refs=consent or [],
        engine=engine,
    )


LEND = "tender_lending_features"
TWO = ("centre-a", "centre-b")


D = dt.date
CASES: list[tuple[Constraint, JobRequest, bool, str, str]] = [
    (
        Validity(D(2026, 5, 20), D(2026, 6, 30)),
        job(),
        True,
        "valid 2026-05-20 to 2026-06-30",
        "有效期 2026-05-20 至 2026-06-30",
    ),
    (
        Validity(D(2026, 5, 21), D(2026, 6, 30)),
        job(),
        False,
        "not valid before 2026-05-21 (today is 2026-05-20)",
        "2026-05-21 起才生效（今天是 2026-05-20）",
    ),
    (
        Validity(D(2026, 1, 1), D(2026, 5, 20)),
        job(),
        True,
        "valid 2026-01-01 to 2026-05-20",
        "有效期 2026-01-01 至 2026-05-20",
    ),
    (
        Validity(D(2026, 1, 1), D(2026, 5, 19)),
        job(),
        False,
        "expired on 2026-05-19 (today is 2026-05-20)",
        "已于 2026-05-19 失效（今天是 2026-05-20）",
    ),
    (
        BatchSize(10, 100),
        job(batch=9),
        False,
        "batch of 9 is below the minimum 10",
        "批次 9 个，少于下限 10",
    ),
    (
        BatchSize(10, 100),
        job(batch=10),
        True,
        "batch of 10 within 10-100",
        "批次 10 个，在 10-100 之内",
    ),
    (
        BatchSize(10, 100),
        job(batch=100),
        True,
        "batch of 100 within 10-100",
        "批次 100 个，在 10-100 之内",
    ),
    (
        BatchSize(10, 100),
        job(batch=101),
        False,
        "batch of 101 is above the maximum 100",
        "批次 101 个，多于上限 100",
    ),
    (
        ModelApproved(None),
        job(model=A),
        False,
        "the policy approves no model for this score product",
        "本策略未为该评分产品批准任何模型",
    ),
    (
        ModelApproved(A),
        job(model=B),
        False,
        "model bbbbbbbbbbbb… is not the approved aaaaaaaaaaaa…",
        "模型 bbbbbbbbbbbb… 不是已批准的 aaaaaaaaaaaa…",
    ),
    (
        ModelApproved(A),
        job(model=None),
        False,
        "model (none named) is not the approved aaaaaaaaaaaa…",
        "模型 （未指明） 不是已批准的 aaaaaaaaaaaa…",
    ),
    (
        ModelApproved(A),
        job(model=A),
        True,
        "model aaaaaaaaaaaa… is the approved one",
        "模型 aaaaaaaaaaaa… 是已批准的模型",
    ),
    (
        ConsentEvidence(),
        job(),
        False,
        "consent is required and the job carries no consent evidence",
        "本策略要求授权同意，而该任务未附授权同意凭证",
    ),
    (
        ConsentEvidence(),
        job(consent=["c-1", "c-2"]),
        True,
        "2 consent evidence references attached",
        "附有 2 个授权同意凭证编号",
    ),
    (
        AllOwnersTogether(TWO),
        job(product=LEND, providers={"centres": ["centre-a"]}),
        False,
        "the job must include every owner's data together; missing centre-b "
        "(one owner alone would release that owner's own figures)",
        "该任务须同时包含每个所有方的数据；缺少 centre-b"
        "（只有一个所有方时会公开该所有方自己的数值）",
    ),
    (
        AllOwnersTogether(TWO),
        job(product=LEND, providers={"centres": ["centre-b"], "other": ["centre-a"]}),
        True,
        "all 2 owners take part together",
        "全部 2 个所有方共同参与",
    ),
    (
        LookupEngine("any"),
        job(engine="direct_lookup"),
        True,
        "runs on direct_lookup; the policy allows any lookup",
        "以 direct_lookup 运行；本策略允许任一查找方式",
    ),
    (
        LookupEngine("blind"),
        job(engine="blind_lookup"),
        True,
        "runs on blind_lookup, as the policy requires: the consumer learns the score only, "
        "not whether this owner holds a subject",
        "按本策略要求以盲查（blind_lookup）运行：使用方只得到评分，不知道本提供方是否持有该对象",
    ),
    (
        LookupEngine("blind"),
        job(engine="direct_lookup"),
        False,
        "the policy requires the blind lookup; the job asks for direct_lookup, "
        "which reveals to the consumer which subjects this owner holds",
        "本策略要求盲查；该任务要求以 direct_lookup 运行，会让使用方得知本提供方持有哪些对象",
    ),
    (
        LookupEngine("blind"),
        job(product=LEND),
        False,
        "the policy requires the blind lookup and tender_lending_features cannot run blind",
        "本策略要求盲查，而 tender_lending_features 不能以盲查运行",
    ),
    (
        PurposeAllowed(("underwriting", "claims")),
        job(purpose="marketing"),
        False,
        "purpose 'marketing' is not among underwriting, claims",
        "使用目的 'marketing' 不在允许的目的 underwriting、claims 之中",
    ),
    (
        PurposeAllowed(("underwriting", "claims")),
        job(),
        True,
        "purpose 'underwriting' is among underwriting, claims",
        "使用目的 'underwriting' 在允许的目的 underwriting、claims 之中",
    ),
    (
        ConsumerAllowed(("insurer",)),
        job(consumer="bank"),
        False,
        "'bank' is not among insurer",
        "'bank' 不在允许的使用方 insurer 之中",
    ),
    (
        ConsumerAllowed(("insurer",)),
        job(),
        True,
        "'insurer' is among insurer",
        "'insurer' 在允许的使用方 insurer 之中",
    ),
    (
        OutputMode("score"),
        job(product="cohort_statistics"),
        False,
        "policy allows score output; cohort_statistics produces aggregate",
        "本策略允许 score 类输出；cohort_statistics 的输出为 aggregate",
    ),
    (
        OutputMode("score"),
        job(),
        True,
        "policy allows score output; underwriting_score produces score",
        "本策略允许 score 类输出；underwriting_score 的输出为 score",
    ),
    (
        FeaturesAllowed(None, ("a",)),
        job(),
        True,
        "every feature of the product is allowed",
        "产品的每个特征都获允许",
    ),
    (
        FeaturesAllowed(("a", "b"), ("a", "c", "d")),
        job(),
        False,
        "features c, d are not allowed by the output rule",
        "输出规则不允许特征 c、d",
    ),
    (
        FeaturesAllowed(("a", "b"), ("a",)),
        job(),
        True,
        "features a are allowed",
        "特征 a 获允许",
    ),
]


@pytest.mark.parametrize(
    ("constraint", "request_"),
    [
        # One owner: its own figures are its to release.
        (AllOwnersTogether(("centre-a",)), job(product=LEND, providers={"c": ["centre-b"]})),
        # Not a per-subject features job.
        (AllOwnersTogether(TWO), job(providers={"h": ["centre-a"]})),
        (AllOwnersTogether(TWO), job(product="cohort_statistics")),
        # An aggregate runs on no lookup.
        (LookupEngine("blind"), job(product="cohort_statistics")),
        (LookupEngine("blind"), job(product="subject_overlap")),
    ],
)
def test_a_constraint_that_does_not_apply_says_nothing(
    constraint: Constraint, request_: JobRequest
) -> None:
    assert constraint.check(request_, None) == []


@pytest.mark.parametrize(("constraint", "request_", "ok", "en", "zh"), CASES)
def test_each_constraint_says_what_it_found(
    constraint: Constraint, request_: JobRequest, ok: bool, en: str, zh: str
) -> None:
    (check,) = constraint.check(request_, None)
    assert said(check) == (
        constraint.name,
        ok,
        en,
        zh,
    )


def test_a_model_is_checked_only_for_a_score() -> None:
    assert ModelApproved(A).check(job(model=B, product="cohort_statistics"), None) == []
    assert ModelApproved(None).check(job(product="tender_lending_features"), None) == []


@pytest.mark.parametrize(
    ("done", "ok", "en", "zh"),
    [
        (2, True, "2 of 3 jobs used today", "今天已用 2 个任务，上限 3"),
        (
            3,
            False,
            "3 of 3 jobs used today; the daily quota is used up",
            "今天已用 3 个任务，上限 3；当日配额已用完",
        ),
    ],
)
def test_the_daily_quota_counts_this_consumers_jobs_today(
    done: int, ok: bool, en: str, zh: str
) -> None:
    usage = FakeUsage(jobs=done)
    (check,) = DailyJobs(3).check(job(), usage)
    assert said(check) == (
        "jobs_per_day",
        ok,
        en,
        zh,
    )
    today = dt.datetime(2026, 5, 20, tzinfo=CHINA)
    assert usage.asked == [("jobs", "insurer", "underwriting_score", today)]


@pytest.mark.parametrize(("done", "ok"), [(90, True), (91, False)])
def test_the_monthly_subjects_count_this_consumers_batch_too(done: int, ok: bool) -> None:
    usage = FakeUsage(subjects=done)
    (check,) = MonthlySubjects(100).check(job(batch=10), usage)
    assert said(check) == (
        "subjects_per_month",
        ok,
        f"{done} of 100 subjects used this month, this batch adds 10",
        f"本月已用 {done} 个对象，上限 100，本批次再加 10 个",
    )
    month = dt.datetime(2026, 5, 1, tzinfo=CHINA)
    assert usage.asked == [("subjects", "insurer", "underwriting_score", month)]


@pytest.mark.parametrize(
    ("constraint", "en", "zh"),
    [
        (
            DailyJobs(3),
            "at most 3 jobs a day (usage not counted here)",
            "每天至多 3 个任务（此处不计用量）",
        ),
        (
            MonthlySubjects(100),
            "at most 100 subjects a month (usage not counted here)",
            "每月至多 100 个对象（此处不计用量）",
        ),
    ],
)
def test_a_quota_without_a_counter_is_named_and_not_counted(
    constraint: Constraint, en: str, zh: str
) -> None:
    (check,) = constraint.check(job(), None)
    assert said(check) == (
        constraint.name,
        True,
        en,
        zh,
    )


def column_checks(constraint: ColumnClasses, request_: JobRequest) -> list[tuple[bool, str, str]]:
    return [(c.ok, c.detail, c.detail_zh) for c in constraint.check(request_, None)]


def test_each_governed_column_is_weighed_against_what_the_job_does_with_it() -> None:
    """A released value needs plaintext; a filter inside an encrypted result
    needs encrypted_only; the join key join_key_only; an unlisted column is
    'never'."""

    def cls(name: str) -> ColumnClass:
        return ColumnClass(disclosure=name)  # type: ignore[arg-type]

    classes = ColumnClasses(
        {
            "tender_bids.award_amount": cls("encrypted_only"),
            "tender_bids.award_date": cls("plaintext"),
            "tender_bids.supplier_key": cls("join_key_only"),
        },
        ("tender_bids",),
        cls("never"),
    )
    lend = dataclasses.replace(job(product=LEND), features=["awarded_amount_12m"])
    by = "by tender_lending_features"
    unlisted = "(unlisted columns are 'never')"
    assert column_checks(classes, lend) == [
        (
            False,
            f"tender_bids.award_amount is encrypted_only: forbids its use in a released "
            f"per-subject value {by}",
            "tender_bids.award_amount 的类别为 encrypted_only：禁止 tender_lending_features "
            "将其用于公开的逐对象数值",
        ),
        (
            True,
            f"tender_bids.award_date is plaintext: allows its use in an encrypted "
            f"per-subject result {by}",
            "tender_bids.award_date 的类别为 plaintext：允许 tender_lending_features "
            "将其用于加密的逐对象结果",
        ),
        (
            False,
            f"tender_bids.award_status is never {unlisted}: forbids its use in an encrypted "
            f"per-subject result {by}",
            "tender_bids.award_status 的类别为 never（未列出的列为 never）：禁止 "
            "tender_lending_features 将其用于加密的逐对象结果",
        ),
        (
            False,
            f"tender_bids.currency is never {unlisted}: forbids its use in an encrypted "
            f"per-subject result {by}",
            "tender_bids.currency 的类别为 never（未列出的列为 never）：禁止 "
            "tender_lending_features 将其用于加密的逐对象结果",
        ),
        (
            True,
            f"tender_bids.supplier_key is join_key_only: allows its use in matching subjects {by}",
            "tender_bids.supplier_key 的类别为 join_key_only：允许 tender_lending_features "
            "将其用于匹配对象",
        ),
    ]


def test_columns_of_tables_the_policy_does_not_govern_are_skipped() -> None:
    """The CDC's columns (sorted first) are not the hospital policy's to weigh;
    the hospital's after them still are."""
    classes = ColumnClasses(
        {"hospital_visits.person_id": ColumnClass(disclosure="join_key_only")},
        ("hospital_visits",),
        ColumnClass(disclosure="never"),
    )
    uw = dataclasses.replace(job(), features=["notifiable_reports_5y", "cost_12m"])
    got = [c.detail.split(" is ")[0] for c in classes.check(uw, None)]
    assert got == [
        "hospital_visits.person_id",
        "hospital_visits.total_cost",
        "hospital_visits.visit_date",
    ]


LABEL = "（就诊日期与申请日期允许相差的天数）"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"date_tolerance_days": 3},
            [
                (
                    True,
                    "date_tolerance_days = 3, set by the policy",
                    f"date_tolerance_days = 3{LABEL}，由本策略设定",
                )
            ],
        ),
        (
            {"date_tolerance_days": 31},
            [
                (
                    False,
                    "date_tolerance_days = 31, set by the policy: must lie within 0-30",
                    f"date_tolerance_days = 31{LABEL}，由本策略设定：须为 0 至 30 之间的整数",
                )
            ],
        ),
        (
            {},
            [
                (
                    True,
                    "date_tolerance_days = 1, the product's default (the policy sets none)",
                    f"date_tolerance_days = 1{LABEL}，产品默认值（本策略未设定）",
                )
            ],
        ),
        (
            {"slack": 1, "date_tolerance_days": 0},
            [
                (
                    True,
                    "date_tolerance_days = 0, set by the policy",
                    f"date_tolerance_days = 0{LABEL}，由本策略设定",
                ),
                (
                    False,
                    "claim_verification has no parameters slack",
                    "claim_verification 没有参数 slack",
                ),
            ],
        ),
    ],
)
def test_a_policys_parameter_settings_are_weighed_at_the_job(
    settings: dict[str, int], expected: list[tuple[bool, str, str]]
) -> None:
    """Checked again when a job runs (validation refuses them earlier, but a
    product's range may have changed since the policy was published)."""
    claims = job(product="claim_verification")
    got = ParameterSettings(settings).check(claims, None)
    assert [said(c) for c in got] == [("parameters", *e) for e in expected]


def test_a_check_says_both_languages_whatever_the_process_speaks() -> None:
    """``detail`` is English and ``detail_zh`` Chinese under zh-CN (the
    product's default, where a steward's console runs) as under English."""
    before = language()
    try:
        for lang in ("zh-CN", "en"):
            set_language(lang)
            (check,) = BatchSize(10, 100).check(job(batch=9), None)
            assert (check.detail, check.detail_zh) == (
                "batch of 9 is below the minimum 10",
                "批次 9 个，少于下限 10",
            ), lang
    finally:
        set_language(before)
