// Ingest: upsert offences and the offender (COMMITTED_BY).
UNWIND $rows AS r
MERGE (o:Offence {key: r.key})
SET o += r.props
WITH o, r
MATCH (p:Party {key: r.party})
MERGE (o)-[:COMMITTED_BY]->(p)
