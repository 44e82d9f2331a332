// Ingest: the HS code the goods of an offence were declared under.
// mode: write
UNWIND $rows AS r
MATCH (o:Offence {key: r.key})
MATCH (h:HSCode {key: r.code})
MERGE (o)-[:DECLARED_AS]->(h)
