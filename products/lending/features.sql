-- tender_lending_features, centre role. Definitions: docs/lending.md.
-- Reads: subjects(handle, subject), tender_bids, currency_rates; parameter $as_of (DATE).
-- One row per handle; counts and sums are 0 and extremes NULL when nothing matches.
-- A bid: a row of the company as tenderer or supplier; its date is the tender
--   date, else the award date.
-- A win: a supplier row whose award is neither cancelled nor unsuccessful,
--   with an award date on or before as_of.
-- Amounts in yuan: CNY as is, other currencies through the centre's rate
--   table only; an amount without a rate (or without a currency) is left out.
--   Computed exactly in DECIMAL(38, 10), then rounded to cents once (DuckDB's cast).
WITH rows AS (
    SELECT
        s.handle,
        b.ocid,
        b.role,
        coalesce(b.award_id, '') AS award_id,
        b.buyer_key,
        b.award_status,
        b.award_date,
        coalesce(b.tender_date, b.award_date) AS bid_date,
        -- DECIMAL(38, 2) times DECIMAL(38, 8): exact to 28 integer digits (an
        -- 18-digit product overflowed at 1e8 yuan).
        CAST(b.award_amount AS DECIMAL(38, 2))
            * CASE WHEN b.currency = 'CNY' THEN CAST(1 AS DECIMAL(38, 8))
                   ELSE CAST(r.rate AS DECIMAL(38, 8)) END AS amount_cny
    FROM subjects AS s
    JOIN tender_bids AS b ON b.supplier_key = s.subject
    LEFT JOIN currency_rates AS r ON r.currency = b.currency AND r.base_currency = 'CNY'
),
bids AS (
    SELECT handle, count(DISTINCT ocid) AS bids_12m
    FROM rows
    WHERE bid_date > CAST($as_of AS DATE) - 365 AND bid_date <= CAST($as_of AS DATE)
    GROUP BY handle
),
wins AS (
    SELECT *
    FROM rows
    WHERE role = 'supplier'
      AND coalesce(award_status, 'active') NOT IN ('cancelled', 'unsuccessful')
      AND award_date <= CAST($as_of AS DATE)
),
won AS (
    SELECT
        handle,
        count(DISTINCT ocid || '|' || award_id)
            FILTER (WHERE award_date > CAST($as_of AS DATE) - 365) AS wins_12m,
        sum(amount_cny) FILTER (WHERE award_date > CAST($as_of AS DATE) - 365) AS amount_12m,
        sum(amount_cny) FILTER (WHERE award_date > CAST($as_of AS DATE) - 1095) AS amount_36m,
        count(DISTINCT buyer_key)
            FILTER (WHERE award_date > CAST($as_of AS DATE) - 1095) AS buyers_36m,
        date_diff('day', max(award_date), CAST($as_of AS DATE)) AS days_since_last_award,
        max(amount_cny) FILTER (WHERE award_date > CAST($as_of AS DATE) - 1095) AS max_award_36m
    FROM wins
    GROUP BY handle
)
SELECT
    s.handle,
    coalesce(b.bids_12m, 0) AS bids_12m,
    coalesce(w.wins_12m, 0) AS wins_12m,
    CAST(coalesce(w.amount_12m, 0) AS DECIMAL(38, 2)) AS awarded_amount_12m,
    CAST(coalesce(w.amount_36m, 0) AS DECIMAL(38, 2)) AS awarded_amount_36m,
    coalesce(w.buyers_36m, 0) AS distinct_buyers_36m,
    w.days_since_last_award,
    CAST(w.max_award_36m AS DECIMAL(38, 2)) AS max_award_36m
FROM subjects AS s
LEFT JOIN bids AS b ON b.handle = s.handle
LEFT JOIN won AS w ON w.handle = s.handle
