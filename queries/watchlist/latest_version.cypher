// Watchlist: the latest version number of one list (no row: never loaded).
MATCH (w:Watchlist {key: $list})
RETURN w.version AS version
