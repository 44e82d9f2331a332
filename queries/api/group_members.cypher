// The members of a linked group, riskiest first.
MATCH (p:Party)-[:MEMBER_OF]->(g:Group {key: $key})
RETURN p.key AS key, p.name AS name, p.risk_score AS risk_score, p.country AS country, p.tax_id AS tax_id
ORDER BY risk_score DESC
LIMIT $limit
