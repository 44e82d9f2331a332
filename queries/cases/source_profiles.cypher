// Alerts: one page of declaration items (key range after $after) that risk profiles fired on, with the
// strictest action, the profiles' reasons, the item's duties, its declarant and the declarant's group.
MATCH (d:Declaration)
WHERE d.key > $after AND d.profile_hits IS NOT NULL
WITH d ORDER BY d.key LIMIT $limit
OPTIONAL MATCH (d)-[:DECLARED_BY]->(p:Party)
RETURN d.key AS key, d.profile_action AS action, d.profile_hits AS reasons,
       coalesce(d.duty_amount, coalesce(d.customs_value, 0.0) * coalesce(d.duty_rate, 0.0) / 100.0) AS duty,
       p.key AS party, p.name AS party_name, p.group_id AS group_id
ORDER BY key
