// Clear the cover-item results of an earlier run on up to $limit declaration items that carry them.
// mode: write
MATCH (d:Declaration)
WHERE d.cover_score IS NOT NULL
WITH d LIMIT $limit
SET d.cover_score = null, d.suspected_hs = null, d.cover_reasons = null
RETURN count(d) AS n
