// The parties that appear on the same declaration items, most frequent first.
MATCH (p:Party {key: $key})<-[:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY]-(d:Declaration)
      -[:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY]->(q:Party)
WHERE q.key <> p.key
WITH q, count(DISTINCT d) AS items
RETURN q.key AS key, q.name AS name, q.risk_score AS risk_score, items
ORDER BY items DESC
LIMIT $limit
