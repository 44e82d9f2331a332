"""The store port, the same tests on both stores (`any_store`: Grafeo always, Neo4j when NEO4J_URI is set).

Values only ever travel as parameters: hostile strings are stored verbatim and delete nothing;
dates, datetimes and non-Latin names come back exactly as they went in.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from graph.domain import schema
from graph.store import GraphStore, StoreError, utc


def _party(key: str, name: str = "n", **kw) -> dict:
    return {"key": key, "name": name, "source": kw.get("source", "test"),
            "registered_on": kw.get("registered_on"), "scored_at": kw.get("scored_at")}


def _count_parties(store: GraphStore) -> int:
    return store.execute("MATCH (p:Party) RETURN count(p) AS n")[0]["n"]


def _get(store: GraphStore, *keys: str) -> list[dict]:
    return store.run("store.parties_by_key", keys=list(keys))


def test_ping(any_store):
    assert any_store.run("store.ping") == [{"ok": 1}]


def test_ddl_is_idempotent_and_the_key_is_unique(any_store):
    any_store.run("store.upsert_parties", rows=[_party("t:1", "Alpha")])
    any_store.ensure_schema()
    any_store.ensure_schema()
    assert _get(any_store, "t:1")[0]["name"] == "Alpha"
    with pytest.raises(StoreError):
        any_store.execute("CREATE (:Party {key: $key})", {"key": "t:1"}, mode="write")
    assert _count_parties(any_store) == 1


def test_every_node_kind_has_a_unique_key_constraint(any_store):
    # a second node with the same key fails for every label the schema declares
    for n in schema.NODES:
        lab = schema.label(n.label)
        any_store.execute(f"CREATE (:{lab} {{key: $key}})", {"key": "dup"}, mode="write")
        with pytest.raises(StoreError):
            any_store.execute(f"CREATE (:{lab} {{key: $key}})", {"key": "dup"}, mode="write")


def test_named_query_with_parameters(any_store):
    out = any_store.run("store.upsert_parties", rows=[_party("t:2", "Beta"), _party("t:1", "Alpha")])
    assert out == [{"n": 2}]
    got = any_store.run("store.parties_by_key", {"keys": ["t:1", "t:2", "t:missing"]})
    assert [(r["key"], r["name"]) for r in got] == [("t:1", "Alpha"), ("t:2", "Beta")]
    # upsert: the same key again updates, it does not add
    any_store.run("store.upsert_parties", rows=[_party("t:1", "Alpha 2")])
    assert _get(any_store, "t:1")[0]["name"] == "Alpha 2"
    assert _count_parties(any_store) == 2


def test_unknown_query_name_is_a_clear_error(any_store):
    with pytest.raises(KeyError, match="no query named"):
        any_store.run("store.no_such_query")


def test_run_batches(any_store):
    rows = (_party(f"b:{i:05d}", f"name {i}") for i in range(2345))
    gen = any_store.run_batches("store.upsert_parties", rows, batch_size=500)
    assert _count_parties(any_store) == 0, "nothing runs before the batches are iterated"
    results = list(gen)
    assert [r[0]["n"] for r in results] == [500, 500, 500, 500, 345]
    assert _count_parties(any_store) == 2345
    got = _get(any_store, "b:00000", "b:01234", "b:02344")
    assert [r["name"] for r in got] == ["name 0", "name 1234", "name 2344"]
    with pytest.raises(ValueError):
        list(any_store.run_batches("store.upsert_parties", [_party("x")], batch_size=0))


HOSTILE = [
    "'}) DETACH DELETE n //",
    "\"}) MATCH (m) DETACH DELETE m RETURN 1 //",
    "x' OR 1=1 --",
    "Robert'); DROP CONSTRAINT party_key; //",
    "back\\slash \\' \\\" \\n \\u0041 C:\\new\\table\\",
    "$key {key} `label` ${{x}}",
    "line1\nline2\r\n\ttab",
    "",
]


def test_injection_attempts_are_stored_verbatim_and_delete_nothing(any_store):
    any_store.run("store.upsert_parties", rows=[_party("keep:1", "bystander")])
    rows = [_party(f"h:{i}", v) for i, v in enumerate(HOSTILE)]
    # hostile values as keys too: they are only ever parameters
    rows += [_party(v or "empty-key", f"as key {i}") for i, v in enumerate(HOSTILE)]
    any_store.run("store.upsert_parties", rows=rows)
    assert _count_parties(any_store) == 1 + 2 * len(HOSTILE)
    got = {r["key"]: r["name"] for r in _get(any_store, *[r["key"] for r in rows], "keep:1")}
    assert got["keep:1"] == "bystander"
    for i, v in enumerate(HOSTILE):
        assert got[f"h:{i}"] == v
        assert got[v or "empty-key"] == f"as key {i}"
    # the key constraint is still there
    with pytest.raises(StoreError):
        any_store.execute("CREATE (:Party {key: $key})", {"key": "keep:1"}, mode="write")


def test_dates_round_trip_as_dates(any_store):
    days = [dt.date(2024, 2, 29), dt.date(1991, 8, 31), dt.date(2000, 1, 1), dt.date(2099, 12, 31)]
    any_store.run("store.upsert_parties", rows=[_party(f"d:{i}", registered_on=d)
                                                for i, d in enumerate(days)])
    got = [r["registered_on"] for r in _get(any_store, *[f"d:{i}" for i in range(len(days))])]
    assert got == days
    assert all(type(d) is dt.date for d in got)
    # and they compare as dates inside the store, against a date parameter
    n = any_store.execute("MATCH (p:Party) WHERE p.registered_on >= $since RETURN count(p) AS n",
                          {"since": dt.date(2000, 1, 1)})
    assert n == [{"n": 3}]  # 2024-02-29, 2000-01-01, 2099-12-31


def test_datetimes_come_back_as_aware_utc(any_store):
    tashkent = dt.timezone(dt.timedelta(hours=5))
    values = [dt.datetime(2025, 3, 1, 17, 30, 5, 123000, tzinfo=tashkent),
              dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC),
              dt.datetime(2025, 3, 1, 12, 0)]  # naive: taken as UTC
    any_store.run("store.upsert_parties", rows=[_party(f"t:{i}", scored_at=v) for i, v in enumerate(values)])
    got = [r["scored_at"] for r in _get(any_store, "t:0", "t:1", "t:2")]
    assert got == [utc(v) for v in values]
    assert all(g.utcoffset() == dt.timedelta(0) for g in got)


UNICODE = [
    "ООО «Ташкент Савдо Групп»",  # Cyrillic with guillemets
    "Oʻzbekiston Gʻallakor MChJ",  # Uzbek Latin with U+02BB modifier letter turned comma
    "Қўқон Ҳамкор",  # Uzbek Cyrillic
    "Қазақстан ЖШС",  # Kazakh
    "ქართული",  # Georgian
    "中国进出口公司",  # CJK
    "شركة التجارة",  # Arabic, right to left
    "Cafe\u0301 Müller",  # decomposed e + combining acute: must not be normalised by the store
    "emoji 🚚📦",
]


def test_unicode_round_trips_exactly(any_store):
    any_store.run("store.upsert_parties", rows=[_party(f"u:{i}", v) for i, v in enumerate(UNICODE)])
    got = [r["name"] for r in _get(any_store, *[f"u:{i}" for i in range(len(UNICODE))])]
    assert got == UNICODE
    assert "\u02bb" in got[1]
    assert not unicodedata.is_normalized("NFC", got[7])
    # and a Cyrillic value works as a lookup parameter
    n = any_store.execute("MATCH (p:Party {name: $name}) RETURN p.key AS key", {"name": UNICODE[0]})
    assert n == [{"key": "u:0"}]


def test_a_closed_store_says_so(settings):
    from graph.store import open_store

    store = open_store(settings)
    store.close()
    store.close()  # twice is harmless
    with pytest.raises(StoreError, match="closed"):
        store.run("store.ping")


def test_a_mode_must_be_read_or_write(any_store):
    with pytest.raises(ValueError, match="mode must be one of"):
        any_store.execute("MATCH (p:Party) RETURN count(p) AS n", mode="reed")


def test_reads_only_for_run_frame_and_writes_only_for_bulk_creates(any_store):
    with pytest.raises(StoreError, match="is a write"):
        any_store.run_frame("store.upsert_parties", rows=[])
    with pytest.raises(StoreError, match="must be a write"):
        any_store.create_linked_nodes("store.parties_by_key", "Party", [{"props": {"key": "x"}}], {})
    assert _count_parties(any_store) == 0


def test_generated_identifier_statements_link_and_score(any_store):
    """`ingest.link_<column>` and `analytics.write_specificity_<column>` come from the schema
    (`queries.generated`); called by name like the files, they write what the files did."""
    any_store.run("store.upsert_parties", rows=[_party("g:1"), _party("g:2")])
    for i in schema.IDENTIFIERS:
        rows = [{"party": f"g:{n}", "key": f"{i.label}-shared", "value": f"first form {n}"} for n in (1, 2)]
        list(any_store.run_batches(f"ingest.link_{i.party_column}", rows, batch_size=1))
        out = list(any_store.run_batches(f"analytics.write_specificity_{i.party_column}",
                                         [{"key": f"{i.label}-shared", "degree": 2, "specificity": 0.5}]))
        assert out == [[{"n": 1}]]
        got = any_store.execute(
            f"MATCH (p:Party)-[:{schema.rel_type(i.rel)}]->(x:{schema.label(i.label)}) "
            "RETURN p.key AS p, x.value AS v, x.degree AS d, x.specificity AS s ORDER BY p")
        assert got == [{"p": "g:1", "v": "first form 1", "d": 2, "s": 0.5},
                       {"p": "g:2", "v": "first form 1", "d": 2, "s": 0.5}], i.label


def test_run_frame_gives_the_rows_of_run(any_store):
    """The analytics read frames (Grafeo: through Arrow); they hold what `run` returns, types included."""
    rows = [_party("f:1", "ООО «Савдо»", registered_on=dt.date(2024, 2, 29),
                   scored_at=dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)),
            _party("f:2", "Oʻzbek", registered_on=dt.date(1999, 12, 31),
                   scored_at=dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC))]
    any_store.run("store.upsert_parties", rows=rows)
    df = any_store.run_frame("store.parties_by_key", keys=["f:1", "f:2"])
    assert list(df.columns) == ["key", "name", "source", "registered_on", "scored_at"]
    got = [{k: (v.to_pydatetime() if hasattr(v, "to_pydatetime") else v) for k, v in r.items()}
           for r in df.to_dict("records")]
    assert got == any_store.run("store.parties_by_key", keys=["f:1", "f:2"])
    empty = any_store.run_frame("store.parties_by_key", keys=["none"])
    assert len(empty) == 0 and "key" in empty.columns
