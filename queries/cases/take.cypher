// Cases: assign a case still being worked to $user; it is then in progress.
// mode: write
MATCH (c:CaseFile {key: $key})
WHERE c.state IN ['open', 'in_progress']
SET c.assignee = $user, c.state = 'in_progress', c.updated_at = $at
RETURN c {.*} AS cf
