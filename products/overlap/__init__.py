"""subject_overlap: how many people a hospital and a CDC both hold, and
nothing else (not which).

DESIGN.md's "PSI cardinality": openmined-psi in cardinality mode between the
two providers' nodes, relayed by the space (engine ``psi_cardinality``,
trusted_space/space/engines/cardinality.py). The first role (the hospital)
plays the PSI server with a one-job key, the second (the CDC) the client:
it learns the count and encrypts it under the requester's Paillier key. The
space relays blinded sets it cannot read, adds noise under encryption when
the job is differentially private and applies ``min_count`` by a blinded
comparison; the requester decrypts the count. Definitions: docs/cohort.md.

A provider's subjects are those of its dataset (connectors/canonical.py's
``DATASETS``: the hospital's visits; the CDC's case reports and chronic
registry), less those who opted out: what each offers to every PSI.
"""

from products.base import Feature, Product, RoleSpec

HOSPITAL, CDC = "hospital", "cdc"

OVERLAP = Product(
    name="subject_overlap",
    package="products.overlap",
    engine="psi_cardinality",
    output_mode="aggregate",
    # In PSI order: the first role serves (its set stays at home, blinded
    # under a one-job key), the second asks and learns the count.
    roles=(RoleSpec(HOSPITAL, "hospital", ""), RoleSpec(CDC, "cdc", "")),
    features=(
        Feature(
            "overlap:hospital_subjects",
            HOSPITAL,
            0,
            {"hospital_visits.person_id": "join"},
            "People with a hospital visit",
            "有就诊记录的人",
        ),
        Feature(
            "overlap:cdc_subjects",
            CDC,
            0,
            {"cdc_case_reports.person_id": "join", "cdc_chronic_registry.person_id": "join"},
            "People with a CDC case report or registry entry",
            "有疾控报告或慢病登记的人",
        ),
    ),
    title_en="Shared people of hospital and CDC (count only)",
    title_zh="医防共有人数（仅计数）",
    description_en=(
        "How many people both the hospital and the CDC hold, by PSI cardinality between "
        "their nodes: neither learns who, the space relays blinded sets it cannot read, and "
        "the requester gets only the count (suppressed below min_count, noised when asked)."
    ),
    description_zh=(
        "医院与疾控共同持有的人数：两节点间以 PSI 基数模式计算，双方都不知道是谁，"
        "可信空间只转发其无法读取的盲化集合，请求方只得到人数（低于最小计数时抑制，可加噪声）。"
    ),
)
