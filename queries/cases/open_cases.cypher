// Cases: every case still being worked (open or in progress), by subject: new alerts join these.
MATCH (c:CaseFile)
WHERE c.state IN ['open', 'in_progress']
RETURN c.key AS key, c.subject AS subject, c.subject_kind AS subject_kind
ORDER BY key
