// Parties whose source party_id is the given id (one per source).
MATCH (p:Party {party_id: $party_id})
RETURN p {.*} AS party
LIMIT $limit
