// Ingest: the HS code of the goods actually found (the risk goods behind a cover code).
// mode: write
UNWIND $rows AS r
MATCH (o:Offence {key: r.key})
MATCH (h:HSCode {key: r.code})
MERGE (o)-[:FOUND_AS]->(h)
