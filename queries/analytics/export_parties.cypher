// Export: one page of parties (key range after $after, $limit rows) with their scoring results and group.
MATCH (p:Party)
WHERE p.key > $after
WITH p ORDER BY p.key LIMIT $limit
OPTIONAL MATCH (p)-[:MEMBER_OF]->(g:Group)
RETURN p.key AS key, p.party_id AS party_id, p.source AS source, p.name AS name, p.entity_id AS entity_id,
       p.entity_confidence AS entity_confidence, p.risk_score AS risk_score, p.risk_rank AS risk_rank,
       p.group_id AS group_id, p.risk_reasons AS risk_reasons, p.phoenix_of AS phoenix_of,
       g.risk AS group_risk, g.links AS group_links
ORDER BY key
