// Frames: the properties of one page of declaration items: those dated in [$since, $before).
// Paged by date range (analytics.frames_declaration_dates cuts the pages) so memory stays bounded
// at millions of items; a page reads only its own items (1M items: 5 pages of 0.7 s, where key
// ranges with ORDER BY ... LIMIT took 2.4 s a page). Parties, route and vehicle come from
// analytics.frames_declaration_links for the same page (one pattern each was 10x slower), the
// route's columns from analytics.frames_routes.
MATCH (d:Declaration)
WHERE d.date >= $since AND d.date < $before
RETURN d.key AS key, d.declaration_key AS declaration_key, d.declaration_id AS declaration_id,
       d.item_no AS item_no, d.date AS date, d.hs_code AS hs_code, d.customs_value AS customs_value,
       d.net_mass_kg AS net_mass_kg, d.gross_mass_kg AS gross_mass_kg, d.duty_rate AS duty_rate,
       d.duty_amount AS duty_amount, d.inspection_result AS inspection_result, d.lane AS lane
