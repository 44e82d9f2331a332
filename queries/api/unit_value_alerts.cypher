// Declaration items whose value per kg is far from their HS code's usual price, highest |robust z| first.
// $direction: null for both, 'under' (below the usual price) or 'over'.
MATCH (d:Declaration)
WHERE abs(d.uv_z) >= $min_abs_z
  AND ($direction IS NULL OR ($direction = 'under' AND d.uv_z < 0) OR ($direction = 'over' AND d.uv_z >= 0))
RETURN d.key AS key, d.declaration_key AS declaration_key, d.date AS date, d.hs_code AS hs_code,
       d.uv_value AS unit_value, d.uv_norm AS norm_unit_value, d.uv_z AS robust_z,
       d.uv_duties_at_stake AS duties_at_stake, d.uv_reasons AS uv_reasons,
       d.customs_value AS customs_value, d.goods_description AS goods_description
ORDER BY abs(robust_z) DESC, key
SKIP $skip
LIMIT $limit
