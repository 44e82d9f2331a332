// Scoring runs that have ended (older runs have no status and were complete): the other half of
// the data version (api.services.jobs).
MATCH (r:ScoreRun)
WHERE r.status IS NULL OR r.status <> 'running'
RETURN count(r) AS n
