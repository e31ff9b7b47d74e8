-- underwriting_score, CDC role.
-- Reads: subjects(handle, subject), cdc_case_reports, cdc_chronic_registry;
-- parameter $as_of (DATE). One row per handle; zeros when nothing matches.
-- notifiable_reports_5y: confirmed reports with report_date in (as_of - 1826 days, as_of].
-- chronic_registered: registry rows with registered_date <= as_of.
WITH reports AS (
    SELECT s.handle, count(*) AS n
    FROM subjects AS s
    JOIN cdc_case_reports AS r ON r.person_id = s.subject
    WHERE r.case_status = 'confirmed'
      AND r.report_date > CAST($as_of AS DATE) - 1826
      AND r.report_date <= CAST($as_of AS DATE)
    GROUP BY s.handle
),
registry AS (
    SELECT s.handle, count(*) AS n
    FROM subjects AS s
    JOIN cdc_chronic_registry AS g ON g.person_id = s.subject
    WHERE g.registered_date <= CAST($as_of AS DATE)
    GROUP BY s.handle
)
SELECT
    s.handle,
    coalesce(reports.n, 0) AS notifiable_reports_5y,
    coalesce(registry.n, 0) AS chronic_registered
FROM subjects AS s
LEFT JOIN reports ON reports.handle = s.handle
LEFT JOIN registry ON registry.handle = s.handle
