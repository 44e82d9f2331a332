// Watchlist: the content hash of every entity of one list as stored (the previous version), for the diff.
MATCH (e:ListedEntity)
WHERE e.list = $list
RETURN e.entity_id AS entity_id, e.content_hash AS content_hash
