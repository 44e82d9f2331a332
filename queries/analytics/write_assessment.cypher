// Declaration assessment, one batch of $rows: score, proposed lane and reasons per declaration item.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.assessment_score = r.score, d.lane = r.lane, d.assessment_reasons = r.reasons
RETURN count(d) AS n
