// Alerts: the open alerts of the given subjects (looked up by the indexed subject), what a call that
// raises the alerts of a few subjects de-duplicates against (POST /assess?store=true), instead of
// every open alert (cases.open_alerts).
UNWIND $subjects AS subject
MATCH (a:Alert {subject: subject})
WHERE a.state = 'open'
RETURN a.key AS key, a.kind AS kind, a.subject AS subject, a.case_key AS case_key, a.runs AS runs,
       a.first_seen AS first_seen
ORDER BY key
