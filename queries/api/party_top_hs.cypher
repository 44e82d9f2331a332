// The commodity codes a party trades most, by customs value.
MATCH (p:Party {key: $key})<-[:DECLARED_BY|CONSIGNED_TO|CONSIGNED_BY|CARRIED_BY|BROKERED_BY]-(d:Declaration)
WITH DISTINCT d
WITH d.hs_code AS hs_code, count(d) AS items, coalesce(sum(d.customs_value), 0) AS value
RETURN hs_code, items, value
ORDER BY value DESC
LIMIT $limit
