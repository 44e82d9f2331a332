// Frames: the parties (by role), route and vehicle of one page of declaration items (same page as
// analytics.frames_declarations for the same $after and $limit), one row per relationship.
MATCH (d:Declaration)
WHERE d.key > $after
WITH d ORDER BY d.key LIMIT $limit
MATCH (d)-[r:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY|ON_ROUTE|TRANSPORTED_BY]->(x)
RETURN d.key AS key, type(r) AS rel, x.key AS target
