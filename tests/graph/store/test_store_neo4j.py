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
