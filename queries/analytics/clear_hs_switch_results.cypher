// Clear the HS switches of an earlier run on up to $limit parties that carry them.
// mode: write
MATCH (p:Party)
WHERE p.hs_switches IS NOT NULL
WITH p LIMIT $limit
SET p.hs_switches = null, p.hs_switch_score = null
RETURN count(p) AS n
