"""What the graph is: the schema, the bundle contract and the vocabulary, declared once as data."""
