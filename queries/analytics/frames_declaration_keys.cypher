// Frames: every declaration item's key (unsorted: the reader sorts them and cuts key ranges).
MATCH (d:Declaration)
RETURN d.key AS key
