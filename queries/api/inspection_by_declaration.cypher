// An inspection result for a whole declaration (its declaration_key): every item takes it.
// mode: write
MATCH (d:Declaration {declaration_key: $subject})
SET d.inspection_result = $value
RETURN count(d) AS items
