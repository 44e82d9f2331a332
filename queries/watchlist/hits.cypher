// Screening: every stored hit with its state and the hashes it was screened with.
MATCH (s)-[h:SCREENED_AS]->(e:ListedEntity)
RETURN s.key AS subject, e.key AS listed, h.state AS state, h.score AS score, h.reasons AS reasons,
       h.listed_hash AS listed_hash, h.subject_hash AS subject_hash, h.decided_by AS decided_by,
       h.decided_at AS decided_at
ORDER BY subject, listed
