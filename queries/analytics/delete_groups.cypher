// Remove up to $limit linked-group nodes of an earlier run (with their MEMBER_OF links).
// mode: write
MATCH (g:Group)
WITH g LIMIT $limit
DETACH DELETE g
RETURN count(*) AS n
