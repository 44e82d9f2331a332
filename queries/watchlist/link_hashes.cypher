// Watchlist: the content hash of every link between entities of one list as stored, for the diff.
MATCH (a:ListedEntity)-[r:OWNS|DIRECTS|RELATED_TO]->(:ListedEntity)
WHERE a.list = $list
RETURN r.link_id AS link_id, r.content_hash AS content_hash
