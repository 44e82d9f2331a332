// Provisional risk: inspection violations on items where the given party is consignee or declarant, with
// the item's consignee (the liable party is the consignee, else the declarant).
UNWIND $keys AS k
MATCH (p:Party {key: k})<-[r:CONSIGNED_TO|DECLARED_BY]-(d:Declaration)
WHERE d.inspection_result = 'violation'
OPTIONAL MATCH (d)-[:CONSIGNED_TO]->(c:Party)
RETURN k AS party, type(r) AS rel, d.date AS date, c.key AS consignee
