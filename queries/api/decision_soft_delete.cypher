// Withdraw a decision: it stays on record, marked deleted with who and when.
// mode: write
MATCH (d:Decision {key: $key})
WHERE d.deleted_at IS NULL
SET d.deleted_at = $at, d.deleted_by = $user
RETURN d {.*} AS decision
