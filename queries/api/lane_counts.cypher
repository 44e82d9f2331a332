// Declaration items per lane proposed by Tamga, and per lane assigned at the time.
MATCH (d:Declaration)
WHERE d.lane IS NOT NULL
RETURN d.lane AS lane, d.channel AS channel, count(d) AS items
