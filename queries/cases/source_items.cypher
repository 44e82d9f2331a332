// Alerts: one page of declaration items (key range after $after) that are cover items (score at least
// $min_cover) or unit-value anomalies (|robust z| at least $min_z), with their declarant and its group.
MATCH (d:Declaration)
WHERE d.key > $after AND (d.cover_score >= $min_cover OR abs(d.uv_z) >= $min_z)
WITH d ORDER BY d.key LIMIT $limit
OPTIONAL MATCH (d)-[:DECLARED_BY]->(p:Party)
RETURN d.key AS key, d.declaration_id AS declaration_id, d.hs_code AS hs_code, d.suspected_hs AS suspected_hs,
       d.cover_score AS cover_score, d.cover_reasons AS cover_reasons, d.uv_z AS uv_z,
       d.uv_duties_at_stake AS uv_duties_at_stake, d.uv_reasons AS uv_reasons,
       coalesce(d.duty_amount, coalesce(d.customs_value, 0.0) * coalesce(d.duty_rate, 0.0) / 100.0) AS duty,
       p.key AS party, p.name AS party_name, p.group_id AS group_id
ORDER BY key
