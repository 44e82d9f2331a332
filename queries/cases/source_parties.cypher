// Alerts: one page of parties (key range after $after) whose entity risk is at least $min_risk or whose
// HS-switch score is at least $min_switch, with the duties on the items they declared.
MATCH (p:Party)
WHERE p.key > $after AND (p.risk_score >= $min_risk OR p.hs_switch_score >= $min_switch)
WITH p ORDER BY p.key LIMIT $limit
OPTIONAL MATCH (d:Declaration)-[:DECLARED_BY]->(p)
WITH p, sum(coalesce(d.duty_amount, coalesce(d.customs_value, 0.0) * coalesce(d.duty_rate, 0.0) / 100.0)) AS duty
RETURN p.key AS key, p.name AS name, p.group_id AS group_id, p.risk_score AS risk_score,
       p.risk_reasons AS risk_reasons, p.hs_switch_score AS hs_switch_score, p.hs_switches AS hs_switches,
       duty
ORDER BY key
