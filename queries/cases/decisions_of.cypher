// Cases: the decisions taken in one case, oldest first.
MATCH (d:Decision)-[:DECIDED_IN]->(c:CaseFile {key: $key})
RETURN d {.*} AS decision, d.at AS at
ORDER BY at
