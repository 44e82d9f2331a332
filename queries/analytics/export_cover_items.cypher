// Export: one page of declaration items flagged as possible cover items (key range after $after).
MATCH (d:Declaration)
WHERE d.key > $after AND d.cover_score IS NOT NULL
WITH d ORDER BY d.key LIMIT $limit
RETURN d.key AS key, d.declaration_id AS declaration_id, d.item_no AS item_no, d.date AS date,
       d.hs_code AS declared_hs, d.suspected_hs AS suspected_hs, d.cover_score AS score,
       d.cover_reasons AS reasons
ORDER BY key
