// The risk lookup other systems make: score, rank, reasons, group and entity of one party.
MATCH (p:Party {key: $key})
RETURN p.key AS key, p.name AS name, p.risk_score AS risk_score, p.risk_rank AS risk_rank,
       p.risk_reasons AS risk_reasons, p.group_id AS group_id, p.entity_id AS entity_id,
       p.phoenix_of AS phoenix_of, p.phoenix_score AS phoenix_score, p.scored_at AS scored_at,
       p.risk_provisional AS risk_provisional, p.provisional_at AS provisional_at
