// Frames: the vehicle of the declaration items with keys in ($after, $until] (no upper bound when
// $until is null), one row per TRANSPORTED_BY relationship. One query per relationship type: measured on 1M
// items, 7 typed scans take 3.9 s where one pattern over the 7 types takes 8.9 s.
MATCH (d:Declaration)-[:TRANSPORTED_BY]->(x)
WHERE d.key > $after AND ($until IS NULL OR d.key <= $until)
RETURN d.key AS key, x.key AS target
