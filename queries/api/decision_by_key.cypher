// One decision by key.
MATCH (d:Decision {key: $key})
RETURN d {.*} AS decision
