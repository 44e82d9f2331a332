// Remove up to $limit resolved-entity nodes of an earlier run (with their RESOLVED_TO links).
// mode: write
MATCH (e:Entity)
WITH e LIMIT $limit
DETACH DELETE e
RETURN count(*) AS n
