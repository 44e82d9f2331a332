// An inspection result recorded through the API becomes the item's inspection result, which the
// next scoring run learns from (as it does from results that arrive with the declarations).
// mode: write
MATCH (d:Declaration {key: $subject})
SET d.inspection_result = $value
RETURN count(d) AS items
