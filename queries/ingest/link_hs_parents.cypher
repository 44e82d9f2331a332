// Ingest: the code hierarchy, national -> subheading -> heading -> chapter.
// mode: write
UNWIND $rows AS r
MATCH (c:HSCode {key: r.child})
MATCH (p:HSCode {key: r.parent})
MERGE (c)-[:PART_OF]->(p)
