// Remove the linked-group nodes of one batch of $rows (key) with their MEMBER_OF links: the delta
// write-back replaces only the groups that changed.
// mode: write
UNWIND $rows AS r
MATCH (g:Group {key: r.key})
DETACH DELETE g
RETURN count(*) AS n
