// Cover evidence already stored for a declaration item (set by the analytics), read when the
// posted item is one the store holds.
MATCH (d:Declaration {key: $key})
RETURN d.key AS key, d.cover_score AS cover_score, d.suspected_hs AS suspected_hs
