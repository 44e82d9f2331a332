// Watchlist: remove the links a new version dropped or changed (a changed link is written again).
// mode: write
MATCH (a:ListedEntity)-[r:OWNS|DIRECTS|RELATED_TO]->(:ListedEntity)
WHERE a.list = $list AND r.link_id IN $link_ids
DELETE r
