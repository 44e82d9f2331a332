// Decisions about a party or declaration (as subject or object), newest first, withdrawn ones included.
MATCH (d:Decision)
WHERE d.subject = $subject OR d.object = $subject
RETURN d {.*} AS decision, d.at AS at
ORDER BY at DESC
LIMIT $limit
