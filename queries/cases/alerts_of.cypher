// Cases: the alerts of one case, most duties at stake first.
MATCH (a:Alert)-[:IN_CASE]->(c:CaseFile {key: $key})
RETURN a {.*} AS alert, a.expected_duties AS duties, a.key AS key
ORDER BY duties DESC, key
