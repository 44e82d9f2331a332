// The latest ingest runs' state (running, done, failed; older runs say ok), newest first: what the
// status, /readyz and the entity card read to say that a run was interrupted.
MATCH (r:IngestRun)
RETURN r.key AS key, r.started_at AS started_at, r.status AS status, r.source AS source
ORDER BY started_at DESC
LIMIT $limit
