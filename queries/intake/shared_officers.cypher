// Provisional risk: the officers of the given parties, with their role and the companies they serve (the
// party itself among them).
UNWIND $keys AS k
MATCH (p:Party {key: k})<-[r:OFFICER_OF]-(o:Person)
MATCH (o)-[:OFFICER_OF]->(q:Party)
RETURN k AS party, o.key AS node, r.role AS role, collect(DISTINCT q.key) AS sharers
