// Frames: officers of one page of people (key range after $after, $limit people): who runs which company.
MATCH (o:Person)
WHERE o.key > $after
WITH o ORDER BY o.key LIMIT $limit
OPTIONAL MATCH (o)-[r:OFFICER_OF]->(c:Party)
RETURN o.key AS person, o.name AS person_name, c.key AS company, r.role AS role, r.share_pct AS share_pct,
       r.since AS since, r.until AS until
