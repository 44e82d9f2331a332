// Record an investigator's decision or an inspection result (append-only; later scoring runs read it
// unless its status is pending: a risk-lowering decision waits for a second approver).
// mode: write
CREATE (d:Decision {key: $key, kind: $kind, subject: $subject, object: $object, value: $value,
                    note: $note, user: $user, at: $at, status: $status})
RETURN d {.*} AS decision
