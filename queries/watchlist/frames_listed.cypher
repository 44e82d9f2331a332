// Frames: one page of listed entities (key range after $after, $limit rows), the input of screening.
MATCH (e:ListedEntity)
WHERE e.key > $after
WITH e ORDER BY e.key LIMIT $limit
RETURN e.key AS key, e.list AS list, e.entity_id AS entity_id, e.schema AS schema, e.name AS name,
       e.names AS names, e.countries AS countries, e.birth_dates AS birth_dates, e.identifiers AS identifiers,
       e.content_hash AS content_hash
