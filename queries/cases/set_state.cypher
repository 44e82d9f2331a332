// Cases: move a case still being worked to $state; a closing state records who, when and why.
// mode: write
MATCH (c:CaseFile {key: $key})
WHERE c.state IN ['open', 'in_progress']
SET c.state = $state, c.updated_at = $at, c.closed_at = $closed_at, c.closed_by = $closed_by,
    c.closing_reason = $reason, c.assignee = coalesce(c.assignee, $user)
RETURN c {.*} AS cf
