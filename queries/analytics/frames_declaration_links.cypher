// Frames: the parties (by role), route and vehicle of one page of declaration items (the same page
// as analytics.frames_declarations for the same $since and $before), one row per relationship.
MATCH (d:Declaration)
WHERE d.date >= $since AND d.date < $before
MATCH (d)-[r:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY|ON_ROUTE|TRANSPORTED_BY]->(x)
RETURN d.key AS key, type(r) AS rel, x.key AS target
