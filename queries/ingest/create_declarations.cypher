// Ingest: create new declaration items with all their relationships in one statement (one
// transaction per batch, so a killed run leaves whole batches). Only for keys not yet stored.
// mode: write
UNWIND $rows AS r
CREATE (d:Declaration)
SET d = r.props
WITH d, r
CALL (d, r) { MATCH (p:Party {key: r.declarant}) CREATE (d)-[:DECLARED_BY]->(p) }
CALL (d, r) { MATCH (p:Party {key: r.consignee}) CREATE (d)-[:CONSIGNED_TO]->(p) }
CALL (d, r) { MATCH (p:Party {key: r.consignor}) CREATE (d)-[:CONSIGNED_BY]->(p) }
CALL (d, r) { MATCH (p:Party {key: r.carrier}) CREATE (d)-[:CARRIED_BY]->(p) }
CALL (d, r) { MATCH (p:Party {key: r.broker}) CREATE (d)-[:BROKERED_BY]->(p) }
CALL (d, r) { MATCH (rt:Route {key: r.route}) CREATE (d)-[:ON_ROUTE]->(rt) }
CALL (d, r) { MATCH (v:Vehicle {key: r.vehicle}) CREATE (d)-[:TRANSPORTED_BY]->(v) }
CALL (d, r) { MATCH (h:HSCode {key: r.hs}) CREATE (d)-[:CLASSIFIED_AS]->(h) }
RETURN count(d) AS created
