// Status: ingest runs recorded at their start that never recorded their end, oldest first.
MATCH (r:IngestRun {status: 'running'})
RETURN r.key AS key, r.source AS source, r.path AS path, r.started_at AS started_at
ORDER BY started_at
