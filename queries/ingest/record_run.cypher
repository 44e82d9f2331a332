// Ingest: store the report of one ingest run (report as a JSON string).
// mode: write
MERGE (r:IngestRun {key: $key})
SET r.started_at = $started_at, r.finished_at = $finished_at, r.source = $source, r.path = $path,
    r.status = $status, r.report = $report
