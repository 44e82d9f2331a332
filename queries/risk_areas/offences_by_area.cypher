// Risk areas: enforcement records per area of one $dimension (as in risk_areas.items_by_area),
// placed by the declaration items they concern (an offence over items of two areas counts in
// both), with the duties they evaded; offences that concern no stored item are counted apart
// (risk_areas.offences_unplaced).
MATCH (o:Offence)-[:CONCERNS]->(d:Declaration)
OPTIONAL MATCH (d)-[:ON_ROUTE]->(r:Route)
WITH DISTINCT o, CASE $dimension
          WHEN 'hs_chapter' THEN substring(d.hs_code, 0, 2)
          WHEN 'origin' THEN r.origin_country
          WHEN 'border_post' THEN r.border_post
          WHEN 'route' THEN r.key
          ELSE substring(toString(d.date), 0, 7)
        END AS area
RETURN area, count(o) AS offences, coalesce(sum(o.evaded_amount), 0) AS duties_evaded
