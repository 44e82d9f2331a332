// Cover-item results, one batch of $rows: score, suspected risk goods and reasons per declaration item.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.cover_score = r.score, d.suspected_hs = r.suspected_hs, d.cover_reasons = r.reasons
RETURN count(d) AS n
