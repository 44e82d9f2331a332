// Degree (entities sharing it) and specificity of Email identifiers, one batch of $rows.
UNWIND $rows AS r
MATCH (i:Email {key: r.key})
SET i.degree = r.degree, i.specificity = r.specificity
RETURN count(i) AS n
