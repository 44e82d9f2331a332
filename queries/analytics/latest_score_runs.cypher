// The latest scoring runs (newest first) with their stored reports: the export reads the audit plan from them.
MATCH (s:ScoreRun)
RETURN s.key AS key, s.finished_at AS finished_at, s.report AS report
ORDER BY key DESC
LIMIT $limit
