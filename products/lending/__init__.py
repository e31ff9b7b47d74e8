"""tender_lending_features: a bank's per-company bid-history features.

Computed at each trading centre from its tender and award records, sent to
the bank as Paillier ciphertexts under the bank's key; when a company bid in
several cities the space combines the centres' values under encryption, so
no centre and not the space learns another centre's figures. Definitions:
docs/lending.md.
"""

from products.base import ColumnUse, Feature, Product, RoleSpec

BIDS = "tender_bids"
_KEY: dict[str, ColumnUse] = {f"{BIDS}.supplier_key": "join"}

# Days since the last award, for a company several centres hold: the least
# grid step at or above the true value (a centre's exact figure stays hidden).
DAYS_GRID = (0, 7, 30, 90, 180, 365, 730, 1095, 1826, 3650)
# Largest award in three years, several centres: the greatest grid step at or
# below the true value, in yuan.
AMOUNT_GRID = (0, 10_000, 50_000, 100_000, 500_000, 1_000_000, 5_000_000, 10_000_000, 50_000_000)

TENDER_LENDING = Product(
    name="tender_lending_features",
    package="products.lending",
    engine="direct_lookup",
    output_mode="features",
    roles=(RoleSpec("centre", "tenders", "features.sql", reference_tables=("currency_rates",)),),
    features=(
        Feature(
            "bids_12m",
            "centre",
            0,
            {
                **_KEY,
                f"{BIDS}.ocid": "filter",
                f"{BIDS}.tender_date": "filter",
                f"{BIDS}.award_date": "filter",
            },
            "Tenders bid for in the last 12 months",
            "近12个月投标次数",
        ),
        Feature(
            "wins_12m",
            "centre",
            0,
            {
                **_KEY,
                f"{BIDS}.award_id": "filter",
                f"{BIDS}.award_date": "filter",
                f"{BIDS}.award_status": "filter",
            },
            "Awards won in the last 12 months",
            "近12个月中标次数",
        ),
        Feature(
            "win_rate_12m",
            "centre",
            4,
            {
                **_KEY,
                f"{BIDS}.ocid": "filter",
                f"{BIDS}.award_id": "filter",
                f"{BIDS}.tender_date": "filter",
                f"{BIDS}.award_date": "filter",
                f"{BIDS}.award_status": "filter",
            },
            "Win rate in the last 12 months",
            "近12个月中标率",
            combine="ratio",
            ratio_of=("wins_12m", "bids_12m"),
        ),
        Feature(
            "awarded_amount_12m",
            "centre",
            2,
            {
                **_KEY,
                f"{BIDS}.award_date": "filter",
                f"{BIDS}.award_status": "filter",
                f"{BIDS}.award_amount": "value",
                f"{BIDS}.currency": "filter",
            },
            "Amount awarded in the last 12 months (yuan)",
            "近12个月中标金额（元）",
        ),
        Feature(
            "awarded_amount_36m",
            "centre",
            2,
            {
                **_KEY,
                f"{BIDS}.award_date": "filter",
                f"{BIDS}.award_status": "filter",
                f"{BIDS}.award_amount": "value",
                f"{BIDS}.currency": "filter",
            },
            "Amount awarded in the last 36 months (yuan)",
            "近36个月中标金额（元）",
        ),
        Feature(
            "distinct_buyers_36m",
            "centre",
            0,
            {
                **_KEY,
                f"{BIDS}.buyer_key": "filter",
                f"{BIDS}.award_date": "filter",
                f"{BIDS}.award_status": "filter",
            },
            "Distinct buyers awarding in the last 36 months (several centres: the sum of "
            "their counts, an upper bound)",
            "近36个月不同采购人数（多个交易中心：各中心计数之和，为上限）",
        ),
        Feature(
            "days_since_last_award",
            "centre",
            0,
            {**_KEY, f"{BIDS}.award_date": "value", f"{BIDS}.award_status": "filter"},
            "Days since the last award",
            "距最近一次中标天数",
            combine="min",
            grid=DAYS_GRID,
        ),
        Feature(
            "max_award_36m",
            "centre",
            2,
            {
                **_KEY,
                f"{BIDS}.award_date": "filter",
                f"{BIDS}.award_status": "filter",
                f"{BIDS}.award_amount": "value",
                f"{BIDS}.currency": "filter",
            },
            "Largest award in the last 36 months (yuan)",
            "近36个月最大单笔中标金额（元）",
            combine="max",
            grid=AMOUNT_GRID,
        ),
    ),
    title_en="Bid-history features for bank lending",
    title_zh="招投标信用贷款特征",
    description_en=(
        "A bank's borrowers described by their bid history at public-resource trading "
        "centres (bids, wins, amounts, recency), from OCDS records, for loan decisions; "
        "the centres' rows never leave them."
    ),
    description_zh=(
        "银行借款企业在公共资源交易中心的投标历史特征（投标、中标、金额、时效），"
        "取自 OCDS 记录，用于贷款审批；交易中心的明细不出域。"
    ),
    subject="company",
)
