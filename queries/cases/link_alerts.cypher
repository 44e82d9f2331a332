// Cases, one batch of $rows: each alert joins its case.
// mode: write
UNWIND $rows AS r
MATCH (a:Alert {key: r.alert})
MATCH (c:CaseFile {key: r.case_key})
MERGE (a)-[:IN_CASE]->(c)
RETURN count(a) AS n
