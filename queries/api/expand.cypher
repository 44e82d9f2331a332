// One hop of subgraph extraction: neighbours of the frontier over the allowed relationship types,
// inside the date window (nodes without a date always pass). Capped by $limit rows. Returns only
// what the subgraph shows (a label text, a risk, the degree of identifiers): every property read
// costs time on the embedded store, so no `m {.*}` here.
UNWIND $frontier AS f
MATCH (n {key: f.key})-[r]-(m)
WHERE f.label IN labels(n) AND type(r) IN $types
  AND (m.date IS NULL OR (m.date >= $date_from AND m.date <= $date_to))
RETURN f.key AS src, f.label AS src_label, type(r) AS rel, startNode(r) = n AS outgoing,
       labels(m)[0] AS label, m.key AS key,
       CASE
         WHEN m:Party OR m:Person OR m:Entity OR m:ListedEntity THEN m.name
         WHEN m:Declaration THEN coalesce(m.declaration_id, m.key) + '/' + coalesce(toString(m.item_no), '')
                                 + ' HS ' + coalesce(m.hs_code, '?')
         WHEN m:Offence THEN coalesce(m.offence_type, 'offence') + ' ' + coalesce(toString(m.date), '')
         WHEN m:HSCode THEN 'HS ' + m.key
         WHEN m:Group THEN 'group ' + m.key + ' (' + coalesce(toString(m.size), '?') + ' members)'
         ELSE coalesce(m.value, m.key)
       END AS text,
       CASE
         WHEN m:Party THEN m.risk_score
         WHEN m:ListedEntity THEN 1.0
         WHEN m:Group THEN m.risk
         WHEN m:Declaration THEN coalesce(m.assessment_score, m.cover_score)
         WHEN m:Offence THEN 1.0
       END AS risk,
       CASE WHEN m:Address OR m:Phone OR m:Email OR m:BankAccount OR m:TaxId THEN m.degree END AS degree
LIMIT $limit
