// Cases in $keys: priority = the expected duties at stake over their alerts, and their alert count.
// mode: write
UNWIND $keys AS k
MATCH (c:CaseFile {key: k})
OPTIONAL MATCH (a:Alert)-[:IN_CASE]->(c)
WITH c, sum(coalesce(a.expected_duties, 0.0)) AS priority, count(a) AS n
SET c.priority = priority, c.alerts = n
RETURN count(c) AS n
