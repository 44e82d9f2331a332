// The identifiers (tax id, phone, email, address, bank account) a party links to, with their degree.
MATCH (p:Party {key: $key})-[r:HAS_TAX_ID|HAS_PHONE|HAS_EMAIL|HAS_ADDRESS|HAS_BANK_ACCOUNT]->(i)
RETURN type(r) AS rel, i.key AS key, i.value AS value, i.degree AS degree, i.specificity AS specificity
