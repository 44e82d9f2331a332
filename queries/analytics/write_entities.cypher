// Resolved entities, one batch of $rows: the entity node and a RESOLVED_TO link from each of its parties.
UNWIND $rows AS r
CREATE (e:Entity {key: r.key, name: r.name, confidence: r.confidence, evidence: r.evidence, size: r.size})
WITH e, r
UNWIND r.parties AS m
MATCH (p:Party {key: m.key})
CREATE (p)-[:RESOLVED_TO {confidence: m.confidence}]->(e)
RETURN count(p) AS n
