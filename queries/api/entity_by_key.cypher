// A resolved entity node by its key.
MATCH (e:Entity {key: $key})
RETURN e {.*} AS entity
