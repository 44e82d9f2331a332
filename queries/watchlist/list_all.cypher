// Watchlist: every loaded list with its latest version.
MATCH (w:Watchlist)
RETURN w.key AS name, w.format AS format, w.version AS version, w.loaded_at AS loaded_at,
       w.entities AS entities, w.links AS links
ORDER BY name
