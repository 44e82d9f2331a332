// Resolved entities, one batch of $rows: the entity nodes (their RESOLVED_TO links: analytics.write_resolved_to).
// mode: write
UNWIND $rows AS r
CREATE (e:Entity {key: r.key, name: r.name, confidence: r.confidence, evidence: r.evidence, size: r.size})
RETURN count(e) AS n
