// Cases: move a case still being worked to $state; a closing state records who, when and why; back to
// open releases it (no assignee), any other state keeps its assignee or takes it for $user.
// mode: write
MATCH (c:CaseFile {key: $key})
WHERE c.state IN ['open', 'in_progress']
SET c.state = $state, c.updated_at = $at, c.closed_at = $closed_at, c.closed_by = $closed_by,
    c.closing_reason = $reason,
    c.assignee = CASE WHEN $state = 'open' THEN null ELSE coalesce(c.assignee, $user) END
RETURN c {.*} AS cf
