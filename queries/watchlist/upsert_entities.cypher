// Watchlist: upsert one batch of listed entities by key (list:entity_id); properties from this version.
// mode: write
UNWIND $rows AS r
MERGE (e:ListedEntity {key: r.key})
SET e += r.props
