// Provisional risk: inspection violations on items where the given party is consignee or declarant (the
// liable party is the consignee, else the declarant: intake.item_parties tells which items have one).
// No OPTIONAL MATCH here: Grafeo runs one per row as a scan (~60 ms for ten parties at 100k items).
UNWIND $keys AS k
MATCH (p:Party {key: k})<-[r:CONSIGNED_TO|DECLARED_BY]-(d:Declaration)
WITH k, r, d
WHERE d.inspection_result = 'violation'
RETURN k AS party, type(r) AS rel, d.date AS date, d.key AS item
