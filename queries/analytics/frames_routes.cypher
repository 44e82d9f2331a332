// Frames: every route with its columns (thousands of rows at a million items). The declaration
// frame takes them through its route key: the items do not repeat them (see graph.schema).
MATCH (rt:Route)
RETURN rt.key AS route, rt.origin_country AS origin_country, rt.dispatch_country AS dispatch_country,
       rt.transit_countries AS transit_countries, rt.border_post AS border_post,
       rt.transport_mode AS transport_mode
