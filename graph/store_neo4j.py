"""The production store: Neo4j 5 through the official driver.

`execute_query` with `database_` (no session bookkeeping per call), values as parameters,
client-side `UNWIND` batches. Neo4j's temporal types are turned into Python's so both stores
answer alike.
"""

from __future__ import annotations

from typing import Any

import neo4j
from neo4j.time import Date, DateTime

from graph.settings import Settings
from graph.store import GraphStore, StoreError


class Neo4jStore(GraphStore):
    backend = "neo4j"

    def __init__(self, settings: Settings):
        if not settings.neo4j_uri or settings.neo4j_password is None:
            raise StoreError("Neo4j needs NEO4J_URI and NEO4J_PASSWORD (no default)")
        self.database = settings.neo4j_database
        self._driver = neo4j.GraphDatabase.driver(
            settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value())
        )
        try:
            self._driver.verify_connectivity()
        except Exception as e:  # noqa: BLE001 - any driver error is a connection problem for the user
            self._driver.close()
            raise StoreError(f"cannot reach Neo4j at {settings.neo4j_uri}: {e}") from e

    def execute(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            records, _, _ = self._driver.execute_query(text, params or {}, database_=self.database)
        except neo4j.exceptions.Neo4jError as e:
            raise StoreError(f"{e.message}\nin statement: {text[:300]}") from e
        return [{k: _native(v) for k, v in r.items()} for r in records]

    def close(self) -> None:
        self._driver.close()


def _native(v: Any) -> Any:
    if isinstance(v, (Date, DateTime)):
        return v.to_native()
    if isinstance(v, list):
        return [_native(x) for x in v]
    if isinstance(v, dict):
        return {k: _native(x) for k, x in v.items()}
    if isinstance(v, (neo4j.graph.Node, neo4j.graph.Relationship)):
        return {k: _native(x) for k, x in v.items()}
    return v
