// Clear the assessment of items that a new run no longer puts in the yellow or red lane, one batch of $rows.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.assessment_score = null, d.lane = null, d.assessment_reasons = null, d.selected_at_random = null
RETURN count(d) AS n
