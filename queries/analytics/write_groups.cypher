// Linked groups, one batch of $rows: the group node (risk, size, links, reasons) and MEMBER_OF from its parties.
UNWIND $rows AS r
CREATE (g:Group {key: r.key, risk: r.risk, size: r.size, links: r.links, reasons: r.reasons})
WITH g, r
UNWIND r.parties AS k
MATCH (p:Party {key: k})
CREATE (p)-[:MEMBER_OF]->(g)
RETURN count(p) AS n
