// Cases: the cases still being worked (open or in progress) of the given subjects (looked up by the
// indexed subject), which the alerts of a few subjects join (instead of every case, cases.open_cases).
UNWIND $subjects AS subject
MATCH (c:CaseFile {subject: subject})
WHERE c.state IN ['open', 'in_progress']
RETURN c.key AS key, c.subject AS subject, c.subject_kind AS subject_kind
ORDER BY key
