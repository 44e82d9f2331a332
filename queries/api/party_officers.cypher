// The people who run or own the party.
MATCH (o:Person)-[r:OFFICER_OF]->(p:Party {key: $key})
RETURN o.key AS key, o.name AS name, r.role AS role, r.share_pct AS share_pct, r.since AS since, r.until AS until
LIMIT $limit
