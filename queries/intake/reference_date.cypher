// Provisional risk: the data's last declaration date, the "now" offence ages are counted from.
MATCH (d:Declaration)
RETURN max(d.date) AS reference_date
