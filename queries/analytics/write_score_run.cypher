// One scoring run completed: when it started and finished and the report it produced (JSON).
// mode: write
MERGE (s:ScoreRun {key: $key})
SET s.started_at = $started_at, s.finished_at = $finished_at, s.report = $report, s.status = 'done'
RETURN s.key AS key
