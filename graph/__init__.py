"""Tamga's domain and analytics, in layers that import only downwards.

    domain       the schema, the bundle contract, the vocabulary: what the graph is
    settings     the environment (one leaf module beside domain)
    store        the store port, its Grafeo and Neo4j adapters, the frames read through it
    engine       integer-id CSR and the shared statistics: pure arrays, no domain
    network      resolution, projection, groups, phoenix, communities, network risk
    declarations goods codes, unit values, HS switches, cover items, the assessment, the audit plan
    pipeline     the scoring run, its write-back and report, the read model and exports

tests/test_layers.py fails when an import runs the wrong way.
"""
