// Watchlist: other links between stored listed entities (FtM Family, Associate, Employment, UnknownLink ...).
// mode: write
UNWIND $rows AS r
MATCH (a:ListedEntity {key: r.source})
MATCH (b:ListedEntity {key: r.target})
MERGE (a)-[o:RELATED_TO {link_id: r.link_id}]->(b)
SET o.kind = r.kind, o.role = r.role, o.content_hash = r.content_hash
