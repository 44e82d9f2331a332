// Screening: the officers of one company (screened with it on demand).
MATCH (o:Person)-[:OFFICER_OF]->(p:Party {key: $key})
RETURN DISTINCT o.key AS person
