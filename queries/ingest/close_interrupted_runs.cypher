// Ingest: a run that completed a bundle closes the earlier runs of the same bundle and source that
// were left "running" (killed): they failed, and this run completed their work.
// mode: write
MATCH (r:IngestRun {status: 'running'})
WHERE r.source = $source AND r.path = $path AND r.key <> $key
SET r.status = 'failed', r.finished_at = $finished_at
RETURN r.key AS key
ORDER BY key
