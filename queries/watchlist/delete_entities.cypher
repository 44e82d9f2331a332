// Watchlist: remove the entities a new version of the list no longer holds, with their links.
// mode: write
UNWIND $keys AS k
MATCH (e:ListedEntity {key: k})
DETACH DELETE e
