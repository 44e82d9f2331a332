// Cases: the notes on one case, oldest first.
MATCH (n:CaseNote)-[:NOTE_ON]->(c:CaseFile {key: $key})
RETURN n {.*} AS note, n.at AS at
ORDER BY at
