// Risk areas: one page (key range after $after, $limit rows) of the items the last scoring run put
// in a lane other than green, with their stored reasons (which name every risk profile that fired).
MATCH (d:Declaration)
WHERE d.lane IS NOT NULL AND d.key > $after
WITH d ORDER BY d.key LIMIT $limit
RETURN d.key AS key, d.lane AS lane, d.assessment_reasons AS assessment_reasons
ORDER BY key
