// Provisional risk: of the given violation items, those whose declaration carries an offence record
// (an offence concerns every stored item of its declaration): such a violation is weighed once, as
// that offence (graph.network.risk.offence_seeds).
UNWIND $items AS i
MATCH (:Offence)-[:CONCERNS]->(d:Declaration {key: i})
RETURN DISTINCT i AS item
