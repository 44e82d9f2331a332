// Screening: the hits of one party and of its officers (a sanctioned director shows on the company),
// best first; found from the party's key and its OFFICER_OF links (index lookups, no scan of every hit).
MATCH (p:Party {key: $key})
OPTIONAL MATCH (o:Person)-[:OFFICER_OF]->(p)
WITH p, collect(DISTINCT o) AS officers
UNWIND [p] + officers AS s
MATCH (s)-[h:SCREENED_AS]->(e:ListedEntity)
RETURN h.hit_id AS hit_id, s.key AS subject, labels(s)[0] AS subject_label, s.party_id AS party_id,
       s.person_id AS person_id, s.name AS subject_name, e.key AS listed, e.list AS list,
       e.entity_id AS entity_id, e.name AS listed_name, e.schema AS schema, h.score AS score,
       h.state AS state, h.reasons AS reasons, h.screened_at AS screened_at, h.decided_by AS decided_by,
       h.decided_at AS decided_at
ORDER BY score DESC, subject, listed
