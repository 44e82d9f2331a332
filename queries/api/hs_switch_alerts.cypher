// Parties that suddenly switched HS codes, highest switch score first; their events as stored JSON.
MATCH (p:Party)
WHERE p.hs_switch_score >= $min_score
RETURN p.key AS key, p.party_id AS party_id, p.name AS name, p.risk_score AS risk_score,
       p.hs_switch_score AS score, p.hs_switches AS hs_switches
ORDER BY score DESC, key
SKIP $skip
LIMIT $limit
