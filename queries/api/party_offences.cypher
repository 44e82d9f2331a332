// Enforcement records against the party.
MATCH (o:Offence)-[:COMMITTED_BY]->(p:Party {key: $key})
RETURN o.key AS key, o.offence_id AS offence_id, o.date AS date, o.offence_type AS offence_type,
       o.status AS status, o.declared_hs_code AS declared_hs_code, o.actual_hs_code AS actual_hs_code,
       o.evaded_amount AS evaded_amount, o.declaration_id AS declaration_id
ORDER BY date DESC
LIMIT $limit
