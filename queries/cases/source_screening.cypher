// Alerts: screening hits (SCREENED_AS) not marked false positive, with the subject's name and group and
// the duties on the items the subject declared (none for an officer).
MATCH (s)-[h:SCREENED_AS]->(e:ListedEntity)
WHERE coalesce(h.state, 'new') <> 'false_positive'
OPTIONAL MATCH (d:Declaration)-[:DECLARED_BY]->(s)
WITH s, h, e, sum(coalesce(d.duty_amount, coalesce(d.customs_value, 0.0) * coalesce(d.duty_rate, 0.0) / 100.0)) AS duty
RETURN s.key AS subject, s.name AS name, s.party_id AS party_id, s.group_id AS group_id, e.key AS listed,
       e.name AS listed_name, e.list AS list, h.score AS score, h.state AS state, h.reasons AS reasons, duty
ORDER BY subject, listed
