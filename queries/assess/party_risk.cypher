// Stored network risk of the parties on one posted declaration (the assessment's per-request read).
// One index lookup per key; parties not yet scored come back with a null risk_score.
MATCH (p:Party)
WHERE p.key IN $keys
RETURN p.key AS key, p.risk_score AS risk_score, p.group_id AS group_id
