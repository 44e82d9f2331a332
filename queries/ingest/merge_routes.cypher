// Ingest: upsert routes (key origin|dispatch|transit;...|destination|border_post|mode) and the
// countries on them with their role and order.
UNWIND $rows AS r
MERGE (rt:Route {key: r.key})
  ON CREATE SET rt += r.props
WITH rt, r
UNWIND r.countries AS c
MATCH (k:Country {key: c.code})
MERGE (rt)-[x:ROUTE_COUNTRY {role: c.role, order: c.order}]->(k)
