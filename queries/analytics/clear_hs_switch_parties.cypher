// Clear the HS switches of one batch of $rows (key) of parties the new run no longer finds switching.
// mode: write
UNWIND $rows AS r
MATCH (p:Party {key: r.key})
SET p.hs_switches = null, p.hs_switch_score = null
RETURN count(p) AS n
