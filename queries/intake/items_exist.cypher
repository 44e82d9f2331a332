// Which of the given declaration item keys are already stored.
UNWIND $keys AS k
MATCH (d:Declaration {key: k})
RETURN k AS key
