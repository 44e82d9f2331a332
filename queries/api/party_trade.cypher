// Trade summary of a party over the declaration items it appears in (any role, each item once).
MATCH (p:Party {key: $key})<-[:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY]-(d:Declaration)
WITH DISTINCT d
RETURN count(d) AS items, count(DISTINCT d.declaration_key) AS declarations,
       coalesce(sum(d.customs_value), 0) AS value, min(d.date) AS first_date, max(d.date) AS last_date
