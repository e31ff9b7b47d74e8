"""underwriting_score: an insurer's per-applicant risk score.

Hospital features (visits, inpatient days, costs and chronic diagnosis groups
in the last 12 months) and CDC features (confirmed notifiable reports in five
years, chronic registry entries) are computed at each provider, encrypted
under the insurer's Paillier key, and combined by the space with the
steward-approved linear model. The insurer decrypts one score per applicant.
"""

from products.base import Feature, Product, RoleSpec

UNDERWRITING = Product(
    name="underwriting_score",
    package="products.underwriting",
    engine="direct_lookup",
    # The blind lookup hides from the insurer whether the CDC or the hospital
    # holds an applicant (a CDC row is a notifiable or chronic disease).
    also_runs_on=("blind_lookup",),
    output_mode="score",
    roles=(
        RoleSpec("hospital", "hospital", "hospital_features.sql"),
        RoleSpec("cdc", "cdc", "cdc_features.sql"),
    ),
    features=(
        Feature(
            "visits_12m",
            "hospital",
            0,
            {"hospital_visits.person_id": "join", "hospital_visits.visit_date": "filter"},
            "Hospital visits in the last 12 months",
            "近12个月就诊次数",
        ),
        Feature(
            "inpatient_days_12m",
            "hospital",
            0,
            {
                "hospital_visits.person_id": "join",
                "hospital_visits.visit_date": "value",
                "hospital_visits.visit_type": "filter",
                "hospital_visits.discharge_date": "value",
            },
            "Inpatient days in the last 12 months",
            "近12个月住院天数",
        ),
        Feature(
            "cost_12m",
            "hospital",
            2,
            {
                "hospital_visits.person_id": "join",
                "hospital_visits.visit_date": "filter",
                "hospital_visits.total_cost": "value",
            },
            "Hospital costs in the last 12 months (yuan)",
            "近12个月医疗费用（元）",
        ),
        Feature(
            "chronic_dx_groups",
            "hospital",
            0,
            {
                "hospital_visits.person_id": "join",
                "hospital_visits.visit_date": "filter",
                "hospital_visits.icd10": "value",
            },
            "Chronic diagnosis groups in the last 12 months",
            "近12个月慢病诊断类别数",
        ),
        Feature(
            "notifiable_reports_5y",
            "cdc",
            0,
            {
                "cdc_case_reports.person_id": "join",
                "cdc_case_reports.report_date": "filter",
                "cdc_case_reports.case_status": "filter",
            },
            "Confirmed notifiable disease reports in 5 years",
            "近5年确诊法定传染病报告数",
        ),
        Feature(
            "chronic_registered",
            "cdc",
            0,
            {
                "cdc_chronic_registry.person_id": "join",
                "cdc_chronic_registry.registered_date": "filter",
            },
            "Chronic disease registry entries",
            "慢病登记条目数",
        ),
    ),
    title_en="Commercial health insurance underwriting score",
    title_zh="商业健康险核保评分",
    description_en=(
        "An insurer's applicants scored from hospital visits and CDC case reports and "
        "chronic-disease registrations, without either side seeing the other's rows. "
        "Where the providers' policies require it (the examples do), a blind lookup: "
        "the insurer learns each score and not whether the hospital or the CDC holds "
        "the applicant; otherwise PSI finds the applicants each provider holds. Either "
        "way providers encrypt their part of the approved linear model under the "
        "insurer's Paillier key."
    ),
    description_zh=(
        "保险公司的投保人凭医院就诊记录与疾控中心传染病报告、慢病登记进行核保评分，"
        "各方互不见明细。提供方的使用策略要求时（示例策略即如此）以盲查运行："
        "保险公司只得到评分，不知道医院或疾控中心是否持有该投保人；否则由隐私求交"
        "确定各提供方持有的投保人。两种方式下，提供方都用保险公司的 Paillier "
        "公钥加密其在已批准线性模型中的分量。"
    ),
)
