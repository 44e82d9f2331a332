// Screening: one hit by its id (the API's), with both ends' keys.
MATCH (s)-[h:SCREENED_AS]->(e:ListedEntity)
WHERE h.hit_id = $hit_id
RETURN s.key AS subject, e.key AS listed, h.state AS state
