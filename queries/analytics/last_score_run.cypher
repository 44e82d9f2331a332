// The newest scoring run (by key, which starts with its start time) and its status: the delta
// write-back (graph.pipeline.delta) trusts its last snapshot only when this is the run it recorded, done.
MATCH (s:ScoreRun)
RETURN s.key AS key, s.status AS status
ORDER BY key DESC
LIMIT 1
