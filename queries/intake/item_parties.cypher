// The consignee and declarant of the given declaration items, one row per item and role (an item
// without a consignee has no CONSIGNED_TO row; the liable party is the consignee, else the declarant).
UNWIND $keys AS k
MATCH (d:Declaration {key: k})-[r:CONSIGNED_TO|DECLARED_BY]->(p:Party)
RETURN k AS key, type(r) AS rel, p.key AS party
