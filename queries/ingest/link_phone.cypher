// Ingest: link parties to their Phone node (keyed by the normalised value; value = first form seen).
UNWIND $rows AS r
MATCH (p:Party {key: r.party})
MERGE (i:Phone {key: r.key})
  ON CREATE SET i.value = r.value
MERGE (p)-[:HAS_PHONE]->(i)
