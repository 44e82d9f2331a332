// Alerts: the declaration items in $keys that risk profiles fired on (one posted item stored by
// POST /assess), in the shape of cases.source_profiles.
UNWIND $keys AS k
MATCH (d:Declaration {key: k})
WHERE d.profile_hits IS NOT NULL
OPTIONAL MATCH (d)-[:DECLARED_BY]->(p:Party)
RETURN d.key AS key, d.profile_action AS action, d.profile_hits AS reasons,
       coalesce(d.duty_amount, coalesce(d.customs_value, 0.0) * coalesce(d.duty_rate, 0.0) / 100.0) AS duty,
       p.key AS party, p.name AS party_name, p.group_id AS group_id
ORDER BY key
