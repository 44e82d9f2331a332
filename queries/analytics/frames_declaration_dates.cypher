// Frames: items per date, to cut the declaration frames into date-range pages of bounded size
// (a few thousand rows at a million items; every item has a date: the contract requires it).
MATCH (d:Declaration)
RETURN d.date AS date, count(*) AS items
