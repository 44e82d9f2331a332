// Frames: one page of offences (key range after $after, $limit rows) with the offender's party key.
MATCH (o:Offence)
WHERE o.key > $after
WITH o ORDER BY o.key LIMIT $limit
OPTIONAL MATCH (o)-[:COMMITTED_BY]->(p:Party)
OPTIONAL MATCH (o)-[:CONCERNS]->(d:Declaration)
WITH o, p, min(d.declaration_key) AS declaration_key
RETURN o.key AS key, o.offence_id AS offence_id, o.date AS date, p.key AS party,
       declaration_key, o.offence_type AS offence_type, o.declared_hs_code AS declared_hs_code,
       o.actual_hs_code AS actual_hs_code, o.evaded_amount AS evaded_amount, o.status AS status
