"""The store port and its two adapters (Grafeo embedded, Neo4j 5), and the frames read through it.

`graph.store` exports the port; callers never import an adapter directly (`open_store` picks it).
"""

from graph.store.port import GraphStore, StoreBusyError, StoreError, open_store, utc

__all__ = ["GraphStore", "StoreBusyError", "StoreError", "open_store", "utc"]
