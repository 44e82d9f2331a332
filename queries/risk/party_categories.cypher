// The trader categories of the entities of the parties $keys, every month (POST /assess takes the latest).
MATCH (p:Party)
WHERE p.key IN $keys AND p.entity_id IS NOT NULL
MATCH (c:TraderCategory {entity: p.entity_id})
RETURN p.key AS key, c.month AS month, c.category AS category
