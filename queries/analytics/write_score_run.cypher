// One scoring run: when it started and finished and the report it produced (JSON).
// mode: write
CREATE (s:ScoreRun {key: $key, started_at: $started_at, finished_at: $finished_at, report: $report})
RETURN s.key AS key
