// Clear the risk-profile hits of one batch of $rows (key) that the new run no longer selects.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.profile_hits = null, d.profile_action = null, d.profile_ids = null
RETURN count(d) AS n
