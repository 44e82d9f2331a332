"""What the routes call that is more than a query: search and the subgraph (extraction and rendering)."""
