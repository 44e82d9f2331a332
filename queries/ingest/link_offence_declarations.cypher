// Ingest: an offence concerns every stored item of its declaration (by declaration_key).
// mode: write
UNWIND $rows AS r
MATCH (o:Offence {key: r.key})
MATCH (d:Declaration {declaration_key: r.declaration_key})
MERGE (o)-[:CONCERNS]->(d)
