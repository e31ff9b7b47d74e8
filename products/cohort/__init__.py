"""cohort_statistics: how many people are in both a hospital cohort and a CDC
cohort, and what they cost, by age band, sex, hospital or month.

DESIGN.md engine 2 (space-aided join: tokens under a one-job key the space
never holds) with engine 3 (Paillier sums), minimum-count suppression and
differential privacy added under encryption. Definitions: docs/cohort.md.

For policies, every piece of a query is a "feature" with the columns it
reads: the cohorts (which filter rows), the measures (values aggregated) and
the group-by dimensions (sex and age band are derived from the resident id,
so grouping by them uses person_id as a value).
"""

from products.base import ColumnUse, Feature, JoinSpec, Product, RoleSpec
from products.cohort.compute import provider_vectors
from products.cohort.layout import MASK_BITS, join_layout, layout_of
from products.cohort.query import CDC, HOSPITAL, CohortQuery, parse_query

V = "hospital_visits"
R = "cdc_case_reports"
G = "cdc_chronic_registry"
_H: dict[str, ColumnUse] = {f"{V}.person_id": "join"}


def _f(name: str, role: str, reads: dict[str, ColumnUse], en: str, zh: str) -> Feature:
    return Feature(name, role, 0, reads, en, zh)


COHORT = Product(
    name="cohort_statistics",
    package="products.cohort",
    engine="space_join",
    output_mode="aggregate",
    roles=(RoleSpec(HOSPITAL, "hospital", ""), RoleSpec(CDC, "cdc", "")),
    features=(
        _f(
            "cohort:inpatients",
            "hospital",
            {**_H, f"{V}.visit_type": "filter", f"{V}.visit_date": "filter"},
            "Inpatients in a period",
            "期间住院人群",
        ),
        _f(
            "cohort:icd10_visits",
            "hospital",
            {**_H, f"{V}.icd10": "filter", f"{V}.visit_date": "filter"},
            "Visits with an ICD-10 range in a period",
            "期间指定诊断就诊人群",
        ),
        _f(
            "cohort:chronic_registry",
            "cdc",
            {f"{G}.person_id": "join", f"{G}.condition": "filter"},
            "Chronic disease registry by condition",
            "慢病登记人群",
        ),
        _f(
            "cohort:confirmed_reports",
            "cdc",
            {
                f"{R}.person_id": "join",
                f"{R}.disease_icd10": "filter",
                f"{R}.case_status": "filter",
                f"{R}.report_date": "filter",
            },
            "Confirmed reports of a disease group",
            "确诊传染病报告人群",
        ),
        _f("measure:count", "hospital", dict(_H), "People", "人数"),
        _f(
            "measure:sum_cost",
            "hospital",
            {**_H, f"{V}.total_cost": "value"},
            "Cost (yuan)",
            "费用（元）",
        ),
        _f(
            "measure:sum_inpatient_days",
            "hospital",
            {**_H, f"{V}.visit_date": "value", f"{V}.discharge_date": "value"},
            "Inpatient days",
            "住院天数",
        ),
        _f(
            "measure:count_reports",
            "cdc",
            {f"{R}.person_id": "join", f"{R}.report_id": "value"},
            "Confirmed reports",
            "确诊报告数",
        ),
        _f("group:sex", "hospital", {f"{V}.person_id": "value"}, "Sex", "性别"),
        _f("group:age_band", "hospital", {f"{V}.person_id": "value"}, "Age band", "年龄段"),
        _f("group:hospital_id", "hospital", {f"{V}.hospital_id": "value"}, "Hospital", "医院"),
        _f("group:month", "hospital", {f"{V}.visit_date": "value"}, "Month", "月份"),
    ),
    title_en="Cohort statistics across hospital and CDC",
    title_zh="医防融合人群统计",
    description_en=(
        "Counts and sums over a hospital cohort joined with a CDC cohort, by cell, with "
        "small cells suppressed and optional differential privacy; the space joins "
        "keyed tokens and adds encrypted vectors."
    ),
    description_zh=(
        "医院队列与疾控队列关联后的分组计数与求和，小单元格抑制、可选差分隐私；"
        "可信空间只关联带密钥的令牌并对密文向量求和。"
    ),
    join=JoinSpec[CohortQuery](
        parse_query=parse_query,
        layout=join_layout,
        layout_of=layout_of,
        vectors=provider_vectors,
        mask_bits=MASK_BITS,
        declares={HOSPITAL: ("hospital_id",)},
    ),
)
