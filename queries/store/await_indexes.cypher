// Neo4j only: wait until every index (constraint-backed ones too) is online, at most $timeout_s
// seconds, so that the first load after `ensure_schema` uses them. Grafeo builds indexes at once.
// Sent to the writer, where ensure_schema has just run the DDL.
// mode: write
CALL db.awaitIndexes($timeout_s)
