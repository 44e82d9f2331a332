// Ingest: upsert declaration items and their relationships (the slow, idempotent path for items a
// previous run left incomplete).
// mode: write
UNWIND $rows AS r
MERGE (d:Declaration {key: r.key})
SET d += r.props
WITH d, r
CALL (d, r) { MATCH (p:Party {key: r.declarant}) MERGE (d)-[:DECLARED_BY]->(p) }
CALL (d, r) { MATCH (p:Party {key: r.consignee}) MERGE (d)-[:CONSIGNED_TO]->(p) }
CALL (d, r) { MATCH (p:Party {key: r.consignor}) MERGE (d)-[:CONSIGNED_BY]->(p) }
CALL (d, r) { MATCH (p:Party {key: r.carrier}) MERGE (d)-[:CARRIED_BY]->(p) }
CALL (d, r) { MATCH (p:Party {key: r.broker}) MERGE (d)-[:BROKERED_BY]->(p) }
CALL (d, r) { MATCH (rt:Route {key: r.route}) MERGE (d)-[:ON_ROUTE]->(rt) }
CALL (d, r) { MATCH (v:Vehicle {key: r.vehicle}) MERGE (d)-[:TRANSPORTED_BY]->(v) }
CALL (d, r) { MATCH (h:HSCode {key: r.hs}) MERGE (d)-[:CLASSIFIED_AS]->(h) }
RETURN count(d) AS merged
