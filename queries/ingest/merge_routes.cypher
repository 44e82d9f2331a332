// Ingest: upsert routes, keyed origin|dispatch|transit;...|destination|border_post|mode.
// mode: write
UNWIND $rows AS r
MERGE (rt:Route {key: r.key})
  ON CREATE SET rt += r.props
