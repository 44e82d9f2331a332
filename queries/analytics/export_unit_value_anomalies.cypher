// Export: one page of declaration items whose value per kg is anomalous (key range after $after).
MATCH (d:Declaration)
WHERE d.key > $after AND d.uv_z IS NOT NULL
WITH d ORDER BY d.key LIMIT $limit
RETURN d.key AS key, d.declaration_id AS declaration_id, d.item_no AS item_no, d.date AS date,
       d.hs_code AS hs_code, d.uv_value AS unit_value, d.uv_norm AS norm_unit_value, d.uv_z AS robust_z,
       d.uv_duties_at_stake AS duties_at_stake, d.uv_reasons AS reasons
ORDER BY key
