// Screening: the hits of one subject (a party's or an officer's key), best first, one page
// ($state null: every state); found from the subject's key (index lookups, no scan of every hit).
OPTIONAL MATCH (p:Party {key: $subject})
OPTIONAL MATCH (o:Person {key: $subject})
WITH coalesce(p, o) AS s
WHERE s IS NOT NULL
MATCH (s)-[h:SCREENED_AS]->(e:ListedEntity)
WHERE $state IS NULL OR h.state = $state
RETURN h.hit_id AS hit_id, s.key AS subject, labels(s)[0] AS subject_label, s.party_id AS party_id,
       s.person_id AS person_id, s.name AS subject_name, e.key AS listed, e.list AS list,
       e.entity_id AS entity_id, e.name AS listed_name, e.schema AS schema, h.score AS score,
       h.state AS state, h.reasons AS reasons, h.screened_at AS screened_at, h.decided_by AS decided_by,
       h.decided_at AS decided_at
ORDER BY score DESC, subject, listed
SKIP $skip LIMIT $limit
