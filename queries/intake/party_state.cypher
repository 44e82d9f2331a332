// Provisional risk: the stored score, reasons and entity of the given parties (one lookup each).
UNWIND $keys AS k
MATCH (p:Party {key: k})
RETURN p.key AS key, p.risk_score AS risk_score, p.risk_reasons AS risk_reasons, p.entity_id AS entity_id
