// Declaration assessment, one batch of $rows: score, proposed lane, reasons and random-pick flag per item.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.assessment_score = r.score, d.lane = r.lane, d.assessment_reasons = r.reasons,
    d.selected_at_random = r.random
RETURN count(d) AS n
