// One batch of $rows (party, entity, confidence): link each party record to its resolved entity.
// mode: write
UNWIND $rows AS r
MATCH (p:Party {key: r.party})
MATCH (e:Entity {key: r.entity})
CREATE (p)-[:RESOLVED_TO {confidence: r.confidence}]->(e)
RETURN count(e) AS n
