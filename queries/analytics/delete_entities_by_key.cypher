// Remove the resolved-entity nodes of one batch of $rows (key) with their RESOLVED_TO links: the
// delta write-back replaces only the entities that changed.
// mode: write
UNWIND $rows AS r
MATCH (e:Entity {key: r.key})
DETACH DELETE e
RETURN count(*) AS n
