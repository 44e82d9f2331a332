// One batch of $rows (party, group): the party belongs to the linked group.
// mode: write
UNWIND $rows AS r
MATCH (p:Party {key: r.party})
MATCH (g:Group {key: r.group})
CREATE (p)-[:MEMBER_OF]->(g)
RETURN count(g) AS n
