"""The in-memory analytics engine: integer-id CSR graphs and shared statistics, pure array code."""
