// What tells the API's caches the data changed: the latest ingest and score runs.
OPTIONAL MATCH (i:IngestRun)
WITH max(i.started_at) AS ingest
OPTIONAL MATCH (s:ScoreRun)
RETURN ingest, max(s.started_at) AS score
