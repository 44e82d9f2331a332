// Screening: an investigator's decision on one hit (confirmed, false_positive or back to new).
// mode: write
MATCH (s)-[h:SCREENED_AS]->(e:ListedEntity {key: $listed})
WHERE s.key = $subject
SET h.state = $state, h.decided_by = $user, h.decided_at = $at
RETURN count(h) AS n
