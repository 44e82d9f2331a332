// Watchlist: the links between entities of one list (ownership, directorship, family ...).
MATCH (a:ListedEntity)-[r:OWNS|DIRECTS|RELATED_TO]->(b:ListedEntity)
WHERE a.list = $list
RETURN a.entity_id AS source, b.entity_id AS target, type(r) AS type, r.link_id AS link_id, r.kind AS kind,
       r.role AS role
ORDER BY link_id
