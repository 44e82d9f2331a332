// A scoring run begins its write-back: recorded as running first, so a killed run leaves a trace
// (completed by analytics.write_score_run with status done).
// mode: write
MERGE (s:ScoreRun {key: $key})
SET s.started_at = $started_at, s.status = 'running'
RETURN s.key AS key
