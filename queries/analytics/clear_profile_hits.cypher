// Clear the risk-profile hits of an earlier run on up to $limit declaration items that carry them.
// mode: write
MATCH (d:Declaration)
WHERE d.profile_hits IS NOT NULL
WITH d LIMIT $limit
SET d.profile_hits = null, d.profile_action = null, d.profile_ids = null
RETURN count(d) AS n
