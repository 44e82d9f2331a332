// Alerts, one batch of $rows: created or refreshed (score, expected duties, reasons, last seen, runs).
// mode: write
UNWIND $rows AS r
MERGE (a:Alert {key: r.key})
SET a.kind = r.kind, a.subject = r.subject, a.party = r.party, a.name = r.name, a.score = r.score,
    a.expected_duties = r.expected_duties, a.reasons = r.reasons, a.first_seen = r.first_seen,
    a.last_seen = r.last_seen, a.runs = r.runs, a.state = 'open', a.case_key = r.case_key
RETURN count(a) AS n
