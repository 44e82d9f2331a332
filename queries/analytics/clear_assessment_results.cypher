// Clear the assessment results of an earlier run on up to $limit items (when this run produced none).
// mode: write
MATCH (d:Declaration)
WHERE d.lane IS NOT NULL
WITH d LIMIT $limit
SET d.assessment_score = null, d.lane = null, d.assessment_reasons = null, d.selected_at_random = null
RETURN count(d) AS n
