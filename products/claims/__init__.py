"""claim_verification: an insurer checks claims against a hospital's records.

Per claim (a person, a hospital, a visit date, optionally a visit type and
an ICD-10 code, and the amount claimed) the hospital computes from its own
rows whether such a visit is there, what it billed, whether the claim is
within the bill, whether the diagnosis category agrees and how many days
the stay lasted, and sends only these values, encrypted under the insurer's
Paillier key and packed into one plaintext per claim. The claim's details
travel sealed to the hospital with the person's id; the space reads none of
them. Definitions: docs/claims.md.
"""

from products.base import Argument, ColumnUse, Feature, Parameter, Product, RoleSpec, Routing

VISITS = "hospital_visits"
# Every output reads the claimant's visits at the claimed hospital around
# the claimed date (and of the claimed type): those are its filters.
_MATCH: dict[str, ColumnUse] = {
    f"{VISITS}.person_id": "join",
    f"{VISITS}.hospital_id": "filter",
    f"{VISITS}.visit_date": "filter",
    f"{VISITS}.visit_type": "filter",
}
# What reads the matching stay's other records: they are found by their dates.
_STAY: dict[str, ColumnUse] = {**_MATCH, f"{VISITS}.discharge_date": "filter"}

DATE_TOLERANCE = Parameter(
    "date_tolerance_days",
    default=1,
    minimum=0,
    maximum=30,
    stricter="lower",
    label_en="Days a visit's date may lie from the claimed date",
    label_zh="就诊日期与申请日期允许相差的天数",
)

CLAIMS = Product(
    name="claim_verification",
    package="products.claims",
    engine="direct_lookup",
    output_mode="features",
    roles=(RoleSpec("hospital", "hospital", "hospital_checks.sql"),),
    features=(
        Feature(
            "visit_found",
            "hospital",
            0,
            dict(_MATCH),
            "A visit matches the claim (1) or none does (0)",
            "存在与申请相符的就诊（1）或不存在（0）",
        ),
        Feature(
            "billed_total",
            "hospital",
            2,
            {**_STAY, f"{VISITS}.total_cost": "value"},
            "Total billed for the matching visit or stay (yuan)",
            "相符就诊或住院的费用合计（元）",
        ),
        Feature(
            "within_bill",
            "hospital",
            0,
            {**_STAY, f"{VISITS}.total_cost": "filter"},
            "The amount claimed is at most the bill (1) or above it (0)",
            "申请金额不超过费用合计（1）或超过（0）",
        ),
        Feature(
            "dx_match",
            "hospital",
            0,
            {**_STAY, f"{VISITS}.icd10": "filter"},
            "The claimed ICD-10 category is one of the stay's (1) or not (0)",
            "申请的 ICD-10 类目与本次就诊相符（1）或不符（0）",
        ),
        Feature(
            "inpatient_days",
            "hospital",
            0,
            {**_MATCH, f"{VISITS}.visit_date": "value", f"{VISITS}.discharge_date": "value"},
            "Inpatient days of the matching stay",
            "相符住院的住院天数",
        ),
    ),
    title_en="Fast claims verification",
    title_zh="快速理赔核验",
    description_en=(
        "An insurer's claims checked against the hospital's own records: was there such a "
        "visit, what did it cost, is the claim within the bill, does the diagnosis agree, "
        "how long was the stay. The hospital answers under the insurer's Paillier key; no "
        "bill, other visit or other diagnosis leaves it."
    ),
    description_zh=(
        "保险公司的理赔申请与医院自有记录核对：是否有此次就诊、费用多少、申请金额是否在费用之内、"
        "诊断是否相符、住院几天。医院用保险公司的 Paillier 公钥加密作答；"
        "账单明细、其他就诊与其他诊断均不出医院。"
    ),
    arguments=(
        Argument("hospital_id", "text"),
        Argument("visit_date", "date"),
        Argument("visit_type", "text", required=False),
        Argument("claimed_fen", "integer"),
        Argument("icd10_category", "text", required=False),
    ),
    parameters=(DATE_TOLERANCE,),
    # A claim is answered by the hospital group that runs its hospital; any
    # other group holding the claimant answers zeros (docs/claims.md).
    routing=Routing("hospital_id", VISITS, "hospital_id"),
)
