// The declaration items by key, with their consignee and declarant (the liable party of an inspection).
UNWIND $keys AS k
MATCH (d:Declaration {key: k})
OPTIONAL MATCH (d)-[:CONSIGNED_TO]->(c:Party)
OPTIONAL MATCH (d)-[:DECLARED_BY]->(b:Party)
RETURN k AS key, c.key AS consignee, b.key AS declarant
