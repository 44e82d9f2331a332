// How often the party appears in each declaration role (declarant, consignee, ...).
MATCH (p:Party {key: $key})<-[r:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY]-(d:Declaration)
RETURN type(r) AS role, count(d) AS n
