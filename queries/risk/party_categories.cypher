// The latest trader category of the entities of the parties $keys (POST /assess: trader.category).
MATCH (p:Party)
WHERE p.key IN $keys AND p.entity_id IS NOT NULL
MATCH (c:TraderCategory {entity: p.entity_id})
WITH p, c ORDER BY c.month DESC
WITH p, collect(c.category)[0] AS category
RETURN p.key AS key, category
