// Frames from the ledger: the inspection result, as the store holds it now, of every item an
// inspection decision touched (api.inspection_by_item sets it on the item, api.inspection_by_declaration
// on every item of the declaration); the other items keep the result that came with the ledger's rows.
MATCH (x:Decision {kind: 'inspection'})
MATCH (d:Declaration {key: x.subject})
RETURN d.key AS key, d.inspection_result AS inspection_result
UNION
MATCH (x:Decision {kind: 'inspection'})
MATCH (d:Declaration {declaration_key: x.subject})
RETURN d.key AS key, d.inspection_result AS inspection_result
