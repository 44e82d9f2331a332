"""The production store: Neo4j 5 through the official driver (neo4j 6.x).

`execute_query` with `database_` (no session bookkeeping per call, managed retries of transient
errors), routed by the statement's stated mode: reads to readers with `routing_=READ` (so a
cluster spreads them, and a read-marked statement that writes fails there: Neo4j refuses writes in
READ access mode), writes to the leader with `routing_=WRITE`; values as
parameters, client-side `UNWIND` batches. Neo4j's temporal types are turned into Python's so both
stores answer alike: `Date` -> `datetime.date`, `DateTime` -> aware UTC `datetime.datetime`.
Installing the optional `neo4j-rust-ext` (same version as the driver: `pip install .[neo4j-fast]`)
speeds up the driver's wire codec with no code change.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import neo4j
from neo4j import exceptions as nx
from neo4j.time import Date, DateTime, Duration, Time

import queries
from graph.settings import Settings
from graph.store import GraphStore, StoreError, utc

if TYPE_CHECKING:
    import pandas as pd


class Neo4jStore(GraphStore):
    backend = "neo4j"

    def __init__(self, settings: Settings, *, read_only: bool = False):
        if not settings.neo4j_uri or settings.neo4j_password is None:
            raise StoreError("The Neo4j store needs NEO4J_URI and NEO4J_PASSWORD (there is no default "
                             "password)")
        self.uri = settings.neo4j_uri
        scheme = self.uri.partition("://")[0].lower()
        if scheme not in _SCHEMES:
            # the driver also takes http:// (its Query API, a preview in 6.x): Tamga speaks Bolt only
            raise StoreError(f"NEO4J_URI {self.uri!r} is not a valid Neo4j URI: use one of "
                             f"{', '.join(s + '://' for s in _SCHEMES)} (for example bolt://localhost:7687)")
        self.database = settings.neo4j_database
        self.read_only = read_only
        try:
            self._driver = neo4j.GraphDatabase.driver(
                settings.neo4j_uri,
                auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
                user_agent="tamga",
                connection_timeout=5.0,  # an unreachable server is reported in seconds, not after 30 s
                connection_acquisition_timeout=30.0,
                max_transaction_retry_time=15.0,
                # `IF NOT EXISTS` DDL answers with an INFORMATION notification each time: not worth a log line
                notifications_min_severity="WARNING",
            )
        except (ValueError, nx.ConfigurationError) as e:
            raise StoreError(f"NEO4J_URI {settings.neo4j_uri!r} is not a valid Neo4j URI: {e}") from e
        try:
            self._driver.verify_connectivity()
        except nx.AuthError as e:
            self._driver.close()
            raise StoreError(f"Neo4j at {self.uri} refused the credentials of user {settings.neo4j_user!r}: "
                             "check NEO4J_USER and NEO4J_PASSWORD") from e
        except Exception as e:
            self._driver.close()
            raise StoreError(_unreachable(self.uri, e)) from e

    def _execute(self, text: str, params: dict[str, Any], mode: queries.Mode) -> list[dict[str, Any]]:
        return self._query(text, params, mode)[0]

    def run_frame(self, name: str, /, **params: Any) -> pd.DataFrame:
        """A named read query as a DataFrame; its columns are the query's even when no row comes back."""
        import pandas as pd

        rows, keys = self._query(self._read_text(name), params, "read")
        return pd.DataFrame.from_records(rows, columns=keys)

    def _query(self, text: str, params: dict[str, Any],
               mode: queries.Mode) -> tuple[list[dict[str, Any]], list[str]]:
        try:
            records, _, keys = self._driver.execute_query(
                text, to_neo4j(params),
                routing_=neo4j.RoutingControl.WRITE if mode == "write" else neo4j.RoutingControl.READ,
                database_=self.database,
            )
        except nx.Neo4jError as e:
            raise StoreError(f"{e.message or e}\nin statement ({mode} mode): {text[:300]}") from e
        except (nx.ServiceUnavailable, nx.SessionExpired) as e:
            raise StoreError(_unreachable(self.uri, e)) from e
        except nx.DriverError as e:
            raise StoreError(f"Neo4j driver error: {e}\nin statement: {text[:300]}") from e
        return [{k: to_python(v) for k, v in r.items()} for r in records], list(keys)

    def ensure_schema(self) -> None:
        """Constraints and indexes, then wait until they are online so the first load uses them."""
        super().ensure_schema()
        self.run("store.await_indexes", timeout_s=300)

    def close(self) -> None:
        self._driver.close()


_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def _unreachable(uri: str, e: BaseException) -> str:
    return (f"cannot reach Neo4j at {uri} ({e.__class__.__name__}: {e}). Is the server running "
            "(`docker compose up -d neo4j`, then wait for it to be healthy) and is NEO4J_URI right?")


def to_neo4j(v: Any) -> Any:
    """Parameters for Neo4j: naive datetimes are UTC (so they are stored as DateTime, not LocalDateTime)."""
    t = type(v)
    if t is dict:
        return {k: to_neo4j(x) for k, x in v.items()}
    if t is list or t is tuple:
        return [to_neo4j(x) for x in v]
    if t is dt.datetime:
        return utc(v)
    return v


def to_python(v: Any) -> Any:
    """A driver value as the Grafeo adapter gives it: Python temporals, plain dicts and lists."""
    if isinstance(v, DateTime):
        native = v.to_native()
        return utc(native)
    if isinstance(v, (Date, Time)):
        return v.to_native()
    if isinstance(v, Duration):
        # Python has no months; Tamga's queries return durations only as numbers, this is a fallback
        return v.iso_format()
    if isinstance(v, list):
        return [to_python(x) for x in v]
    if isinstance(v, dict):
        return {k: to_python(x) for k, x in v.items()}
    if isinstance(v, (neo4j.graph.Node, neo4j.graph.Relationship)):
        return {k: to_python(x) for k, x in v.items()}
    if isinstance(v, neo4j.graph.Path):
        return [to_python(n) for n in v.nodes]
    return v
