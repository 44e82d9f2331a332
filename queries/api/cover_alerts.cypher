// Declaration items whose declared code may cover other goods, highest cover score first.
MATCH (d:Declaration)
WHERE d.cover_score >= $min_score
RETURN d.key AS key, d.declaration_key AS declaration_key, d.date AS date, d.hs_code AS hs_code,
       d.suspected_hs AS suspected_hs, d.cover_score AS cover_score, d.cover_reasons AS cover_reasons,
       d.customs_value AS customs_value, d.goods_description AS goods_description
ORDER BY cover_score DESC, key
SKIP $skip
LIMIT $limit
