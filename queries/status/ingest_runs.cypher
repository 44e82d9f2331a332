// Status: the latest ingest runs with their reports (JSON strings), newest first.
MATCH (r:IngestRun)
RETURN r.key AS key, r.started_at AS started_at, r.finished_at AS finished_at, r.source AS source,
       r.path AS path, r.status AS status, r.report AS report
ORDER BY started_at DESC
LIMIT $limit
