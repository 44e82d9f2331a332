// Cases: the decision was taken in the case.
// mode: write
MATCH (d:Decision {key: $decision})
MATCH (c:CaseFile {key: $key})
MERGE (d)-[:DECIDED_IN]->(c)
RETURN count(d) AS n
