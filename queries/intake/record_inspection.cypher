// An inspection result posted for a stored item: the decision record (kind inspection, as POST /decisions
// writes it, with the inspection's date and officer) and the item's inspection_result in one statement.
// mode: write
MATCH (d:Declaration {key: $subject})
SET d.inspection_result = $value
CREATE (x:Decision {key: $key, kind: 'inspection', subject: $subject, value: $value, note: $note,
                    user: $user, at: $at, status: 'effective', inspected_on: $inspected_on, officer: $officer})
RETURN x {.*} AS decision
