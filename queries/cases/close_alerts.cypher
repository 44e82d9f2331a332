// Cases: the alerts of a closed case are closed too, so the next run raises fresh ones.
// mode: write
MATCH (a:Alert)-[:IN_CASE]->(c:CaseFile {key: $key})
SET a.state = 'closed'
RETURN count(a) AS n
