// Degree (entities sharing it) and specificity of TaxId identifiers, one batch of $rows.
UNWIND $rows AS r
MATCH (i:TaxId {key: r.key})
SET i.degree = r.degree, i.specificity = r.specificity
RETURN count(i) AS n
