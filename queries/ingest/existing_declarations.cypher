// Ingest: which declaration items of a batch are already stored, and whether each is complete
// (its CLASSIFIED_AS, written in the same statement as the node, exists).
UNWIND $keys AS k
MATCH (d:Declaration {key: k})
RETURN d.key AS key, EXISTS { (d)-[:CLASSIFIED_AS]->(:HSCode) } AS complete
