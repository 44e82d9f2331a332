// Ingest: a run that completed a bundle closes the earlier runs of the same bundle and source that
// were left "running" (killed): they are failed runs that this one completed.
MATCH (r:IngestRun {status: 'running'})
WHERE r.source = $source AND r.path = $path AND r.key <> $key
SET r.status = 'failed', r.completed_by = $key
RETURN count(r) AS closed
