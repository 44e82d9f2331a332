// What the effectiveness figures depend on beyond the runs (api.data_version): the items (one call at a
// time adds some without an ingest run) and the inspection decisions recorded or withdrawn since.
OPTIONAL MATCH (d:Declaration)
WITH count(d) AS items
OPTIONAL MATCH (x:Decision {kind: 'inspection'})
RETURN items, count(x) AS inspections, max(x.at) AS last_at, max(x.deleted_at) AS last_deleted
