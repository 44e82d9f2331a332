// Liveness of the store: one row with ok = 1. Used by health checks and `tamga status`.
RETURN 1 AS ok
