// Risk areas: enforcement records that concern no stored declaration item (not placed in any area).
MATCH (o:Offence)
WHERE NOT EXISTS { MATCH (o)-[:CONCERNS]->(:Declaration) }
RETURN count(o) AS offences, coalesce(sum(o.evaded_amount), 0) AS duties_evaded
