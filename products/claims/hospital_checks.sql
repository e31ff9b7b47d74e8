-- claim_verification, hospital role.
-- Reads: subjects(handle, subject, hospital_id, visit_date, visit_type,
-- claimed_fen, icd10_category), hospital_visits; parameters $as_of (DATE) and
-- $date_tolerance_days. One row per handle (claim); zeros when nothing matches.
--
-- A claim's records: the claimant's visits at the claimed hospital dated on or
-- before as_of. Candidates: those whose visit_date lies within the tolerance
-- of the claimed date (and of the claimed visit_type, when given). The
-- matching visits: the candidates on the candidate date nearest the claimed
-- one (the earlier of two as near); several visits on that day all match.
-- A stay: inpatient records chained by their dates, each starting on or before
-- the latest discharge so far (no discharge yet: as_of). The billed records:
-- the matching visits and every record of a stay one of them belongs to.
WITH own AS (
    SELECT
        s.handle,
        v.visit_id,
        v.visit_date,
        v.visit_type,
        coalesce(v.discharge_date, CAST($as_of AS DATE)) AS discharged,
        coalesce(v.total_cost, 0) AS cost,
        substr(v.icd10, 1, 3) AS category,
        abs(date_diff('day', s.visit_date, v.visit_date)) AS gap,
        s.visit_type IS NULL OR v.visit_type = s.visit_type AS type_ok
    FROM subjects AS s
    JOIN hospital_visits AS v
      ON v.person_id = s.subject AND v.hospital_id = s.hospital_id
    WHERE v.visit_date <= CAST($as_of AS DATE)
),
inpatient AS (
    SELECT
        handle,
        visit_id,
        visit_date,
        discharged,
        CASE WHEN visit_date <= max(discharged) OVER (
                PARTITION BY handle ORDER BY visit_date, visit_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
             THEN 0 ELSE 1 END AS starts
    FROM own
    WHERE visit_type = 'inpatient'
),
stays AS (
    SELECT
        handle,
        visit_id,
        visit_date,
        discharged,
        sum(starts) OVER (
            PARTITION BY handle ORDER BY visit_date, visit_id ROWS UNBOUNDED PRECEDING
        ) AS stay
    FROM inpatient
),
nearest AS (
    SELECT handle, arg_min(visit_date, gap * 100000 + (visit_date - DATE '1900-01-01')) AS day
    FROM own
    WHERE gap <= $date_tolerance_days AND type_ok
    GROUP BY handle
),
matching AS (
    SELECT o.handle, o.visit_id
    FROM own AS o
    JOIN nearest AS n ON n.handle = o.handle AND o.visit_date = n.day
    WHERE o.gap <= $date_tolerance_days AND o.type_ok
),
matched_stays AS (
    SELECT DISTINCT s.handle, s.stay
    FROM matching AS m
    JOIN stays AS s ON s.handle = m.handle AND s.visit_id = m.visit_id
),
billed AS (
    SELECT handle, visit_id FROM matching
    UNION
    SELECT s.handle, s.visit_id
    FROM stays AS s
    JOIN matched_stays AS ms ON ms.handle = s.handle AND ms.stay = s.stay
),
totals AS (
    SELECT
        b.handle,
        sum(o.cost) AS billed_total,
        max(CASE WHEN o.category = c.icd10_category THEN 1 ELSE 0 END) AS dx_match
    FROM billed AS b
    JOIN own AS o ON o.handle = b.handle AND o.visit_id = b.visit_id
    JOIN subjects AS c ON c.handle = b.handle
    GROUP BY b.handle
),
days AS (
    SELECT handle, sum(date_diff('day', first_day, last_day)) AS inpatient_days
    FROM (
        SELECT s.handle, s.stay, min(s.visit_date) AS first_day, max(s.discharged) AS last_day
        FROM stays AS s
        JOIN matched_stays AS ms ON ms.handle = s.handle AND ms.stay = s.stay
        GROUP BY s.handle, s.stay
    )
    GROUP BY handle
)
SELECT
    s.handle,
    CASE WHEN t.handle IS NULL THEN 0 ELSE 1 END AS visit_found,
    CAST(coalesce(t.billed_total, 0) AS DECIMAL(38, 2)) AS billed_total,
    CASE WHEN t.handle IS NOT NULL
              AND s.claimed_fen <= CAST(t.billed_total * 100 AS BIGINT)
         THEN 1 ELSE 0 END AS within_bill,
    coalesce(t.dx_match, 0) AS dx_match,
    coalesce(d.inpatient_days, 0) AS inpatient_days
FROM subjects AS s
LEFT JOIN totals AS t ON t.handle = s.handle
LEFT JOIN days AS d ON d.handle = s.handle
