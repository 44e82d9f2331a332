// Unit-value anomalies, one batch of $rows: robust z, declared and usual value per kg, duties at stake, reasons.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.uv_z = r.z, d.uv_value = r.value, d.uv_norm = r.norm, d.uv_duties_at_stake = r.duties_at_stake,
    d.uv_reasons = r.reasons
RETURN count(d) AS n
