// Frames: the properties of the declaration items with keys in ($after, $until] (no upper bound
// when $until is null). The reader cuts the key ranges from analytics.frames_declaration_keys, so
// no page sorts the items (ORDER BY ... LIMIT per page cost 11 s at 1M items, ranges 4 s); the
// parties, route and vehicle come from the analytics.frames_link_* queries for the same range.
MATCH (d:Declaration)
WHERE d.key > $after AND ($until IS NULL OR d.key <= $until)
RETURN d.key AS key, d.declaration_key AS declaration_key, d.declaration_id AS declaration_id,
       d.item_no AS item_no, d.date AS date, d.hs_code AS hs_code, d.customs_value AS customs_value,
       d.net_mass_kg AS net_mass_kg, d.gross_mass_kg AS gross_mass_kg, d.duty_rate AS duty_rate,
       d.duty_amount AS duty_amount, d.origin_country AS origin_country,
       d.dispatch_country AS dispatch_country, d.transit_countries AS transit_countries,
       d.border_post AS border_post, d.transport_mode AS transport_mode,
       d.inspection_result AS inspection_result, d.lane AS lane
