// Provisional risk: the offences recorded against the given parties (the seed's enforcement history).
UNWIND $keys AS k
MATCH (o:Offence)-[:COMMITTED_BY]->(p:Party {key: k})
RETURN k AS party, o.date AS date, o.offence_type AS offence_type, o.status AS status,
       o.evaded_amount AS evaded_amount
