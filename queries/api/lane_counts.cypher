// Declaration items per lane proposed by Tamga, and per lane assigned at the time. Scoring stores
// the yellow and red proposals only: every other item counts as green.
MATCH (d:Declaration)
RETURN coalesce(d.lane, 'green') AS lane, d.channel AS channel, count(d) AS items
