// Party key -> resolved entity id (as the last scoring run wrote it), for the trader categories of items.
MATCH (p:Party)
WHERE p.entity_id IS NOT NULL
RETURN p.key AS key, p.entity_id AS entity_id
