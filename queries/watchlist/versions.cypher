// Watchlist: the loaded versions of one list, newest first, with what each changed.
MATCH (v:WatchlistVersion)
WHERE v.list = $list
RETURN v.version AS version, v.loaded_at AS loaded_at, v.path AS path, v.added AS added, v.changed AS changed,
       v.removed AS removed, v.report AS report
ORDER BY version DESC
