// Provisional risk: the given parties' trade partners (declaration items they share, by the two roles).
UNWIND $keys AS k
MATCH (p:Party {key: k})<-[r1:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY]-(d:Declaration)
      -[r2:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY]->(q:Party)
WHERE q.key <> k
RETURN k AS party, type(r1) AS role, type(r2) AS other_role, q.key AS other, count(d) AS items
LIMIT $limit
