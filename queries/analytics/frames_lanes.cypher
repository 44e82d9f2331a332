// Frames from the ledger: the lane the last scoring run proposed per item (yellow or red; green
// items carry none), a part of the store's mutable state; the rest of an item comes from the ledger.
MATCH (d:Declaration)
WHERE d.lane IS NOT NULL
RETURN d.key AS key, d.lane AS lane
