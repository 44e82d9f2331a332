// Ingest: the offender of each offence (COMMITTED_BY).
UNWIND $rows AS r
MATCH (o:Offence {key: r.key})
MATCH (p:Party {key: r.party})
MERGE (o)-[:COMMITTED_BY]->(p)
