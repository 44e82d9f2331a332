// Ingest: the countries on a route with their role (origin, dispatch, transit, destination) and order.
// mode: write
UNWIND $rows AS r
MATCH (rt:Route {key: r.route})
MATCH (k:Country {key: r.code})
MERGE (rt)-[x:ROUTE_COUNTRY {role: r.role, order: r.order}]->(k)
