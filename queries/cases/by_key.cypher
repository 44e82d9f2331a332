// Cases: one case by its key.
MATCH (c:CaseFile {key: $key})
RETURN c {.*} AS cf
