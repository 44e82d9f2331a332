// The latest scoring runs' state (running until the write-back completed, then done; older runs have
// no status and were complete), newest first.
MATCH (r:ScoreRun)
RETURN r.key AS key, r.started_at AS started_at, r.status AS status
ORDER BY started_at DESC
LIMIT $limit
