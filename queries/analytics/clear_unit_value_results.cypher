// Clear the unit-value anomalies of an earlier run on up to $limit declaration items that carry them.
// mode: write
MATCH (d:Declaration)
WHERE d.uv_z IS NOT NULL
WITH d LIMIT $limit
SET d.uv_z = null, d.uv_value = null, d.uv_norm = null, d.uv_duties_at_stake = null, d.uv_reasons = null
RETURN count(d) AS n
