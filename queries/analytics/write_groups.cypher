// Linked groups, one batch of $rows: the group nodes with risk, size, links and reasons (members: analytics.write_member_of).
// mode: write
UNWIND $rows AS r
CREATE (g:Group {key: r.key, risk: r.risk, size: r.size, links: r.links, reasons: r.reasons})
RETURN count(g) AS n
