// Ingest: the offender of each offence (COMMITTED_BY).
// mode: write
UNWIND $rows AS r
MATCH (o:Offence {key: r.key})
MATCH (p:Party {key: r.party})
MERGE (o)-[:COMMITTED_BY]->(p)
