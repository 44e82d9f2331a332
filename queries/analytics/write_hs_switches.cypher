// HS switches, one batch of $rows: per trading party its switch events (JSON) and their highest score.
// mode: write
UNWIND $rows AS r
MATCH (p:Party {key: r.key})
SET p.hs_switches = r.switches, p.hs_switch_score = r.score
RETURN count(p) AS n
