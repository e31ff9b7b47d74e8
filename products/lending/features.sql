-- tender_lending_features, centre role. Definitions: docs/lending.md.
-- Reads: subjects(handle, subject), tender_bids, currency_rates; parameter $as_of (DATE).
-- One row per handle; counts and sums are 0 and extremes NULL when nothing matches.
-- A bid: a row of the company as tenderer or supplier; its date is the tender
--   date, else the award date.
-- A win: a supplier row whose award is neither cancelled nor unsuccessful,
--   with an award date on or before as_of.
-- Amounts in yuan: CNY as is, other currencies through the centre's rate
--   table only; an amount without a rate (or without a currency) is left out.
--   Exact at any size a centre can load (amounts below 10^16, rates below
--   10^10): each award is converted as a whole number of 10^-10 yuan (its fen
--   times the rate in 10^-8, a HUGEINT below 10^36), split into whole fen and
--   the rest; sums add the two parts apart (no overflow below 10^10 awards)
--   and round half up to fen once. DECIMAL(38, 10) arithmetic overflowed past
--   10^28 yuan, DECIMAL(18) at 10^8 (issue 22, item 2).
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
        CAST(CAST(b.award_amount AS DECIMAL(38, 2)) * 100 AS HUGEINT)
            * CASE WHEN b.currency = 'CNY' THEN CAST(100000000 AS HUGEINT)
                   ELSE CAST(CAST(r.rate AS DECIMAL(38, 8)) * 100000000 AS HUGEINT) END
            AS amount_e10
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
    SELECT
        *,
        amount_e10 // 100000000 AS fen_whole,
        amount_e10 % 100000000 AS fen_rest
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
        sum(fen_whole) FILTER (WHERE award_date > CAST($as_of AS DATE) - 365) AS whole_12m,
        sum(fen_rest) FILTER (WHERE award_date > CAST($as_of AS DATE) - 365) AS rest_12m,
        sum(fen_whole) FILTER (WHERE award_date > CAST($as_of AS DATE) - 1095) AS whole_36m,
        sum(fen_rest) FILTER (WHERE award_date > CAST($as_of AS DATE) - 1095) AS rest_36m,
        count(DISTINCT buyer_key)
            FILTER (WHERE award_date > CAST($as_of AS DATE) - 1095) AS buyers_36m,
        date_diff('day', max(award_date), CAST($as_of AS DATE)) AS days_since_last_award,
        max((amount_e10 + 50000000) // 100000000)
            FILTER (WHERE award_date > CAST($as_of AS DATE) - 1095) AS max_fen_36m
    FROM wins
    GROUP BY handle
)
SELECT
    s.handle,
    coalesce(b.bids_12m, 0) AS bids_12m,
    coalesce(w.wins_12m, 0) AS wins_12m,
    -- fen -> yuan: DECIMAL(38, 0) times 0.01 is DECIMAL(38, 2), exact (a
    -- division would give a DOUBLE)
    CAST(coalesce(w.whole_12m + (w.rest_12m + 50000000) // 100000000, 0) AS DECIMAL(38, 0))
        * CAST(0.01 AS DECIMAL(3, 2)) AS awarded_amount_12m,
    CAST(coalesce(w.whole_36m + (w.rest_36m + 50000000) // 100000000, 0) AS DECIMAL(38, 0))
        * CAST(0.01 AS DECIMAL(3, 2)) AS awarded_amount_36m,
    coalesce(w.buyers_36m, 0) AS distinct_buyers_36m,
    w.days_since_last_award,
    CAST(w.max_fen_36m AS DECIMAL(38, 0)) * CAST(0.01 AS DECIMAL(3, 2)) AS max_award_36m
FROM subjects AS s
LEFT JOIN bids AS b ON b.handle = s.handle
LEFT JOIN won AS w ON w.handle = s.handle
