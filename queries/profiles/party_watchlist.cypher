// What the watchlist criteria of risk profiles read about the parties of one posted item: their
// screening hits not marked false positive (found from each party's key).
UNWIND $keys AS k
MATCH (p:Party {key: k})-[h:SCREENED_AS]->(e:ListedEntity)
WHERE coalesce(h.state, 'new') <> 'false_positive'
RETURN p.key AS subject, e.list AS list, h.score AS score, coalesce(h.state, 'new') AS state
ORDER BY subject, list
