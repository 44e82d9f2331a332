// Alerts: every open alert, what a new run de-duplicates against (one open alert per subject and kind).
MATCH (a:Alert)
WHERE a.state = 'open'
RETURN a.key AS key, a.kind AS kind, a.subject AS subject, a.case_key AS case_key, a.runs AS runs,
       a.first_seen AS first_seen
ORDER BY key
