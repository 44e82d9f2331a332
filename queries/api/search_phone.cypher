// Parties linked to a phone node whose normalised value is one of the candidates.
MATCH (p:Party)-[:HAS_PHONE]->(ph:Phone)
WHERE ph.key IN $phones
RETURN p.key AS key, p.name AS name, p.risk_score AS risk_score, p.party_id AS party_id, p.country AS country
LIMIT $limit
