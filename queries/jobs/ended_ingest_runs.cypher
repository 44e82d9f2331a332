// Ingest runs that have ended (any outcome; older runs have status ok): one half of the data
// version the server reports (api.services.jobs), which grows whenever a writer finishes.
MATCH (r:IngestRun)
WHERE r.status IS NULL OR r.status <> 'running'
RETURN count(r) AS n
