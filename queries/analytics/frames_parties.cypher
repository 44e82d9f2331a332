// Frames: one page of parties (key range after $after, $limit rows).
MATCH (p:Party)
WHERE p.key > $after
WITH p ORDER BY p.key LIMIT $limit
RETURN p.key AS key, p.party_id AS party_id, p.source AS source, p.name AS name, p.name_norm AS name_norm,
       p.kind AS kind, p.country AS country, p.tax_id_norm AS tax_id_norm,
       p.registered_on AS registered_on, p.deregistered_on AS deregistered_on
