// Watchlist: one loaded version of a list (report as a JSON string), and the list's latest state.
// mode: write
MERGE (w:Watchlist {key: $list})
SET w.name = $list, w.format = $format, w.version = $version, w.loaded_at = $loaded_at, w.path = $path,
    w.entities = $entities, w.links = $links
CREATE (v:WatchlistVersion {key: $key})
SET v.list = $list, v.version = $version, v.loaded_at = $loaded_at, v.path = $path, v.added = $added,
    v.changed = $changed, v.removed = $removed, v.report = $report
