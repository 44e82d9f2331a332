// Cases: one page, highest priority first, filtered by $state (null: any), $assignee (null: anyone)
// and $unassigned (true: only cases nobody has taken).
MATCH (c:CaseFile)
WHERE ($state IS NULL OR c.state = $state) AND ($assignee IS NULL OR c.assignee = $assignee)
  AND ($unassigned = false OR c.assignee IS NULL)
RETURN c {.*} AS cf, c.priority AS priority, c.key AS key
ORDER BY priority DESC, key
SKIP $skip
LIMIT $limit
