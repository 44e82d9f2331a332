// Watchlist: directorship links between stored listed entities (FtM Directorship: director -> organization).
// mode: write
UNWIND $rows AS r
MATCH (a:ListedEntity {key: r.source})
MATCH (b:ListedEntity {key: r.target})
MERGE (a)-[o:DIRECTS {link_id: r.link_id}]->(b)
SET o.role = r.role, o.since = r.since, o.content_hash = r.content_hash
