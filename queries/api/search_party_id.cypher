// Parties by source party id or node key.
MATCH (p:Party)
WHERE p.party_id = $q OR p.key = $q
RETURN p.key AS key, p.name AS name, p.risk_score AS risk_score, p.party_id AS party_id, p.country AS country
LIMIT $limit
