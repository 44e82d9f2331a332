// Watchlist: ownership links between stored listed entities (FtM Ownership: owner -> asset).
// mode: write
UNWIND $rows AS r
MATCH (a:ListedEntity {key: r.source})
MATCH (b:ListedEntity {key: r.target})
MERGE (a)-[o:OWNS {link_id: r.link_id}]->(b)
SET o.role = r.role, o.share_pct = r.share_pct, o.since = r.since, o.content_hash = r.content_hash
