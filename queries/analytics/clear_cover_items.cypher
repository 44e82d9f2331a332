// Clear the cover-item results of one batch of $rows (key) that the new run no longer flags.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.cover_score = null, d.suspected_hs = null, d.cover_reasons = null
RETURN count(d) AS n
