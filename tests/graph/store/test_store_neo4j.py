"""The Neo4j adapter without a server: value conversion both ways and its errors for a bad
configuration or an unreachable server. (The shared store tests run it against a real server
when NEO4J_URI is set.)"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from neo4j.graph import Graph, Node, Relationship
from neo4j.time import Date, DateTime, Duration, Time
from pydantic import SecretStr

from graph.settings import Settings
from graph.store import StoreError, open_store
from graph.store.neo4j_adapter import Neo4jStore, to_neo4j, to_python


def test_dates_become_python_dates():
    v = to_python(Date(2024, 2, 29))
    assert v == dt.date(2024, 2, 29) and type(v) is dt.date


def test_datetimes_become_aware_utc():
    tashkent = dt.timezone(dt.timedelta(hours=5))
    v = to_python(DateTime(2025, 3, 1, 17, 30, 5, 123456789, tzinfo=tashkent))
    assert v == dt.datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=dt.UTC)
    assert v.utcoffset() == dt.timedelta(0)
    # a LocalDateTime (no zone) is UTC by Tamga's convention, as on Grafeo
    assert to_python(DateTime(2025, 3, 1, 12, 0)) == dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_times_and_durations():
    assert to_python(Time(1, 2, 3)) == dt.time(1, 2, 3)
    assert to_python(Duration(months=1, days=2, seconds=3)) == "P1M2DT3S"


def test_nested_values_nodes_and_relationships_become_plain_data():
    g = Graph()
    node = Node(g, "4:x:1", 1, ["Party"], {"key": "t:1", "registered_on": Date(2020, 1, 2)})
    rel = Relationship(g, "5:x:2", 2, {"since": Date(2019, 5, 6)})
    v = to_python({"parties": [node], "rel": rel, "n": 3, "s": "Oʻzbek", "m": {"d": [Date(2021, 1, 1)]}})
    assert v == {"parties": [{"key": "t:1", "registered_on": dt.date(2020, 1, 2)}],
                 "rel": {"since": dt.date(2019, 5, 6)}, "n": 3, "s": "Oʻzbek",
                 "m": {"d": [dt.date(2021, 1, 1)]}}


def test_parameters_naive_datetimes_are_sent_as_utc():
    p = to_neo4j({"rows": [{"at": dt.datetime(2025, 1, 1, 8, 0), "d": dt.date(2025, 1, 1)}],
                  "t": (1, 2), "s": "x"})
    assert p["rows"][0]["at"] == dt.datetime(2025, 1, 1, 8, 0, tzinfo=dt.UTC)
    assert p["rows"][0]["d"] == dt.date(2025, 1, 1)
    assert p["t"] == [1, 2] and p["s"] == "x"


def _neo4j_settings(tmp_path, uri: str) -> Settings:
    return Settings(env="test", data_dir=tmp_path, store="neo4j", neo4j_uri=uri,
                    neo4j_password=SecretStr("not-a-real-password"))


def test_unreachable_server_is_a_clear_error_within_seconds(tmp_path):
    # port 9 on the loopback: nothing listens there, the connection is refused at once
    t0 = time.monotonic()
    with pytest.raises(StoreError) as e:
        open_store(_neo4j_settings(tmp_path, "bolt://127.0.0.1:9"))
    assert time.monotonic() - t0 < 30
    msg = str(e.value)
    assert "cannot reach Neo4j at bolt://127.0.0.1:9" in msg
    assert "NEO4J_URI" in msg and "docker compose" in msg


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "localhost:7687", "bolt//127.0.0.1"])
def test_invalid_uri_is_a_clear_error(tmp_path, uri):
    with pytest.raises(StoreError, match="not a valid Neo4j URI"):
        open_store(_neo4j_settings(tmp_path, uri))


def test_no_password_no_store(tmp_path):
    s = Settings(env="test", data_dir=tmp_path, neo4j_uri="bolt://127.0.0.1:9")
    with pytest.raises(StoreError, match="NEO4J_PASSWORD"):
        Neo4jStore(s)


class _RecordingDriver:
    """The neo4j driver's `execute_query`, recording each call's routing (no server here). It stands
    in for the third-party driver only: what is tested is the adapter's choice of READ or WRITE."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def execute_query(self, text, params, *, routing_, database_):
        self.calls.append((text.splitlines()[-1], routing_.name))
        return [], None, ["n"]

    def close(self):
        pass


def _store_on(driver: _RecordingDriver, *, read_only: bool = False) -> Neo4jStore:
    store = Neo4jStore.__new__(Neo4jStore)  # __init__ would connect
    store.uri, store.database = "bolt://nowhere:7687", "neo4j"
    store.read_only, store._driver = read_only, driver
    return store


def test_routing_follows_the_stated_mode():
    import queries

    d = _RecordingDriver()
    store = _store_on(d)
    store.run("store.ping")
    store.run("store.upsert_parties", rows=[])
    list(store.run_batches("ingest.link_phone", [{"party": "p", "key": "k", "value": "v"}]))
    store.run_frame("store.parties_by_key", keys=[])
    store.execute("MATCH (p:Party) RETURN count(p) AS n", mode="write")  # stated, not guessed from words
    assert [r for _, r in d.calls] == ["READ", "WRITE", "WRITE", "READ", "WRITE"]
    d.calls.clear()
    store.ensure_schema()
    assert d.calls and {r for _, r in d.calls} == {"WRITE"}, "DDL and the index wait go to the writer"
    assert d.calls[-1][0] == queries.get("store.await_indexes").splitlines()[-1]


def test_a_read_only_neo4j_store_sends_no_write():
    d = _RecordingDriver()
    store = _store_on(d, read_only=True)
    with pytest.raises(StoreError, match=r"opened read-only; refusing a write: store\.upsert_parties"):
        store.run("store.upsert_parties", rows=[])
    with pytest.raises(StoreError, match="read-only"):
        store.ensure_schema()
    store.run("store.ping")
    assert [r for _, r in d.calls] == ["READ"]
