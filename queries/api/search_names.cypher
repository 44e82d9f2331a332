// The (key, normalised name) list the search keeps in memory, refreshed after ingest and scoring.
MATCH (p:Party)
RETURN p.key AS key, p.name AS name, p.name_norm AS name_norm, p.risk_score AS risk_score,
       p.party_id AS party_id, p.country AS country
