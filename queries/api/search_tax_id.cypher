// Parties by tax id, digits only.
MATCH (p:Party {tax_id_norm: $tax_id})
RETURN p.key AS key, p.name AS name, p.risk_score AS risk_score, p.party_id AS party_id, p.country AS country
LIMIT $limit
