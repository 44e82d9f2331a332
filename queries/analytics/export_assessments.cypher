// Export: one page of assessed declaration items (key range after $after): score per item, for the audit plan.
MATCH (d:Declaration)
WHERE d.key > $after AND d.assessment_score IS NOT NULL
WITH d ORDER BY d.key LIMIT $limit
RETURN d.key AS key, d.assessment_score AS assessment_score
ORDER BY key
