// Cases, one batch of $rows: new open cases, unassigned.
// mode: write
UNWIND $rows AS r
CREATE (c:CaseFile {key: r.key, subject: r.subject, subject_kind: r.subject_kind, name: r.name, state: 'open',
                    priority: 0.0, alerts: 0, opened_at: r.at, updated_at: r.at})
RETURN count(c) AS n
