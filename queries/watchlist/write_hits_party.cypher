// Screening: write one batch of hits from a Party to listed entities, state included (kept or new).
// mode: write
UNWIND $rows AS r
MATCH (s:Party {key: r.subject})
MATCH (e:ListedEntity {key: r.listed})
MERGE (s)-[h:SCREENED_AS]->(e)
SET h.score = r.score, h.state = r.state, h.reasons = r.reasons, h.listed_hash = r.listed_hash,
    h.subject_hash = r.subject_hash, h.screened_at = r.screened_at, h.decided_by = r.decided_by,
    h.decided_at = r.decided_at, h.hit_id = r.hit_id
