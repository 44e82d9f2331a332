// The party records resolved to one entity: the entity's aliases.
MATCH (p:Party {entity_id: $entity_id})
RETURN p.key AS key, p.name AS name, p.source AS source, p.party_id AS party_id, p.tax_id AS tax_id,
       p.country AS country, p.entity_confidence AS confidence, p.risk_score AS risk_score
LIMIT $limit
