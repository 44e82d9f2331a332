// Clear the unit-value anomalies of one batch of $rows (key) that the new run no longer finds.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.uv_z = null, d.uv_value = null, d.uv_norm = null, d.uv_duties_at_stake = null, d.uv_reasons = null
RETURN count(d) AS n
