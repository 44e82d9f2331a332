// Ingest: the OFFICER_OF relationship of a stored person to a stored company, one per role.
// (A separate statement from merge_persons: Grafeo plans a MATCH after a MERGE in the same
// statement without the key index, ~10x slower.)
// mode: write
UNWIND $rows AS r
MATCH (pe:Person {key: r.person})
MATCH (c:Party {key: r.company})
MERGE (pe)-[o:OFFICER_OF {role: r.role}]->(c)
SET o.share_pct = r.share_pct, o.since = r.since, o.until = r.until, o.source = r.source
