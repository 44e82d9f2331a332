// Screening: remove hits a new screening no longer finds.
// mode: write
UNWIND $rows AS r
MATCH (s)-[h:SCREENED_AS]->(e:ListedEntity {key: r.listed})
WHERE s.key = r.subject
DELETE h
