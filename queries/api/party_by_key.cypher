// One party's stored properties by its node key (source:party_id).
MATCH (p:Party {key: $key})
RETURN p {.*} AS party
