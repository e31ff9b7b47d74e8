-- underwriting_score, hospital role.
-- Reads: subjects(handle, subject), hospital_visits; parameter $as_of (DATE).
-- One row per handle; a person with no visits in the window gets zeros.
-- Window: visit_date in (as_of - 365 days, as_of].
-- Chronic groups: first three characters of icd10 in E10-E14 (diabetes),
-- I10-I15 (hypertensive diseases), C00-C97 (malignant neoplasms), N18 (CKD), J44 (COPD).
WITH recent AS (
    SELECT
        s.handle,
        v.visit_id,
        v.visit_type,
        v.visit_date,
        v.discharge_date,
        v.total_cost,
        substr(v.icd10, 1, 3) AS cat
    FROM subjects AS s
    JOIN hospital_visits AS v ON v.person_id = s.subject
    WHERE v.visit_date > CAST($as_of AS DATE) - 365
      AND v.visit_date <= CAST($as_of AS DATE)
),
grouped AS (
    SELECT
        handle,
        count(*) AS visits_12m,
        sum(CASE WHEN visit_type = 'inpatient'
                 THEN date_diff('day', visit_date, coalesce(discharge_date, CAST($as_of AS DATE)))
                 ELSE 0 END) AS inpatient_days_12m,
        coalesce(sum(total_cost), 0) AS cost_12m,
        count(DISTINCT CASE
            WHEN cat IN ('E10', 'E11', 'E12', 'E13', 'E14') THEN 'diabetes'
            WHEN cat IN ('I10', 'I11', 'I12', 'I13', 'I14', 'I15') THEN 'hypertension'
            WHEN regexp_full_match(cat, 'C[0-9]{2}') AND cat <= 'C97' THEN 'neoplasm'
            WHEN cat = 'N18' THEN 'ckd'
            WHEN cat = 'J44' THEN 'copd'
        END) AS chronic_dx_groups
    FROM recent
    GROUP BY handle
)
SELECT
    s.handle,
    coalesce(g.visits_12m, 0) AS visits_12m,
    coalesce(g.inpatient_days_12m, 0) AS inpatient_days_12m,
    CAST(coalesce(g.cost_12m, 0) AS DECIMAL(38, 2)) AS cost_12m,
    coalesce(g.chronic_dx_groups, 0) AS chronic_dx_groups
FROM subjects AS s
LEFT JOIN grouped AS g ON g.handle = s.handle
