// Cases: all of them, highest priority first (the queue export and the team figures), at most $limit.
MATCH (c:CaseFile)
RETURN c {.*} AS cf, c.priority AS priority, c.key AS key
ORDER BY priority DESC, key
LIMIT $limit
