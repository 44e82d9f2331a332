// Degree (entities sharing it) and specificity of Address identifiers, one batch of $rows.
UNWIND $rows AS r
MATCH (i:Address {key: r.key})
SET i.degree = r.degree, i.specificity = r.specificity
RETURN count(i) AS n
