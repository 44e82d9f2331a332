// A second approver makes a pending decision effective (four-eyes); who and when stay on record.
// mode: write
MATCH (d:Decision {key: $key})
WHERE d.status = 'pending' AND d.deleted_at IS NULL
SET d.status = 'effective', d.approved_by = $user, d.approved_at = $at
RETURN d {.*} AS decision
