// Whether a key names a declaration item or a whole declaration (decisions may be about either).
OPTIONAL MATCH (i:Declaration {key: $key})
WITH count(i) AS items
OPTIONAL MATCH (d:Declaration {declaration_key: $key})
RETURN items, count(d) AS declaration_items
