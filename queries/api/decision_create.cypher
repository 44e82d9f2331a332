// Record an investigator's decision or an inspection result (append-only; later scoring runs read it).
// mode: write
CREATE (d:Decision {key: $key, kind: $kind, subject: $subject, object: $object, value: $value,
                    note: $note, user: $user, at: $at})
RETURN d {.*} AS decision
