// Risk areas: each enforcement record once per (HS chapter, route, month) of the declaration items it
// concerns, with the duty it evaded (graph.pipeline.risk_areas counts each offence once per area);
// offences that concern no stored item are counted apart (risk_areas.offences_unplaced).
MATCH (o:Offence)-[:CONCERNS]->(d:Declaration)
OPTIONAL MATCH (d)-[:ON_ROUTE]->(r:Route)
WITH DISTINCT o, substring(d.hs_code, 0, 2) AS hs_chapter, r.key AS route,
     substring(toString(d.date), 0, 7) AS month
RETURN o.key AS offence, hs_chapter, route, month, o.evaded_amount AS evaded
