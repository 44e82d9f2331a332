"""The API's routers, one module per area; every data route depends on a scope alias from `api.deps`."""
