// Declaration items in one proposed lane, highest assessment score first.
MATCH (d:Declaration {lane: $lane})
RETURN d.key AS key, d.declaration_key AS declaration_key, d.date AS date, d.hs_code AS hs_code,
       d.assessment_score AS assessment_score, d.assessment_reasons AS assessment_reasons,
       d.channel AS channel
ORDER BY assessment_score DESC, key
SKIP $skip
LIMIT $limit
