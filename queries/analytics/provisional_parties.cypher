// Parties whose risk a provisional update (intake.write_provisional) changed since the last full run:
// the delta write-back writes their scores again, whether or not the run changed them.
MATCH (p:Party)
WHERE p.risk_provisional = true
RETURN p.key AS key
ORDER BY key
