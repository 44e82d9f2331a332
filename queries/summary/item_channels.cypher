// The item summary read from the store (a store whose ledger does not hold every item): the lane each
// item was assigned at the time (channel), which the analytics' frames do not read.
MATCH (d:Declaration)
WHERE d.channel IS NOT NULL
RETURN d.key AS key, d.channel AS channel
