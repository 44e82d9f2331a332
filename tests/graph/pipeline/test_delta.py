"""The delta write-back's diff (graph.pipeline.delta) against a plain-Python reference, on random
parts (hypothesis): a row is written when it is new or any compared column differs (None is None,
NaN is NaN), a key that is gone is reported, and an entity is replaced when its row or a link to it
changed."""

from __future__ import annotations

import math

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.pipeline import delta

KEYS = st.sampled_from([f"k{i}" for i in range(12)])
VALUE = st.fixed_dictionaries({
    "n": st.one_of(st.none(), st.integers(-3, 3)),
    "x": st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.25, math.nan])),
    "s": st.one_of(st.none(), st.sampled_from(["a", "b", '{"r": 1}'])),
    "at": st.sampled_from(["t1", "t2"]),  # ignored, like a party's scored_at
})
PART = st.dictionaries(KEYS, VALUE, max_size=10)

SCHEMA = pa.schema([("key", pa.string()), ("n", pa.int64()), ("x", pa.float64()), ("s", pa.string()),
                    ("at", pa.string())])


def _table(rows: dict[str, dict]) -> pa.Table:
    return pa.Table.from_pylist([{"key": k, **v} for k, v in rows.items()], schema=SCHEMA)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@settings(max_examples=200, deadline=None)
@given(old=PART, new=PART, force=st.sets(KEYS, max_size=3))
def test_changed_rows_are_the_new_or_different_ones_and_gone_keys_are_named(old, new, force):
    rows, gone = delta.changed_rows(_table(old), _table(new), ignore=("at",), force=force)
    want = {k for k, v in new.items()
            if k not in old or k in force or not all(_same(v[c], old[k][c]) for c in ("n", "x", "s"))}
    assert {r["key"] for r in rows} == want
    assert all(_same(r[c], new[r["key"]][c]) for r in rows for c in ("n", "x", "s", "at"))  # as written
    assert set(gone) == set(old) - set(new)


def test_without_an_old_part_every_row_is_new():
    new = _table({"a": {"n": 1, "x": 0.5, "s": "a", "at": "t"}})
    rows, gone = delta.changed_rows(None, new)
    assert [r["key"] for r in rows] == ["a"] and gone == []


def test_an_entity_is_replaced_when_a_link_to_it_moves_or_goes(tmp_path):
    """Party p2 moves from entity E1 to E2, p3 (of E3) is gone, E4 is untouched: E1, E2 and E3
    are deleted and E1, E2 created again with all their links; E4 stays."""
    import pyarrow.parquet as pq

    def part(folder, name, rows):
        folder.mkdir(exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), folder / f"network.{name}.parquet")
        return f"network.{name}.parquet"

    ent = lambda k, size: {"key": k, "name": k, "confidence": 1.0, "evidence": "[]", "size": size}  # noqa: E731
    link = lambda p, e: {"party": p, "entity": e, "confidence": 1.0}  # noqa: E731
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old = {"files": {"entities": part(old_dir, "entities", [ent("E1", 2), ent("E2", 1), ent("E3", 1),
                                                              ent("E4", 1)]),
                     "resolved_to": part(old_dir, "resolved_to", [link("p1", "E1"), link("p2", "E1"),
                                                                   link("p4", "E2"), link("p3", "E3"),
                                                                   link("p5", "E4")])}}
    new = {"files": {"entities": part(new_dir, "entities", [ent("E1", 2), ent("E2", 1), ent("E4", 1)]),
                     "resolved_to": part(new_dir, "resolved_to", [link("p1", "E1"), link("p2", "E2"),
                                                                   link("p4", "E2"), link("p5", "E4")])}}
    prev = delta.Previous(old_dir, "score:x", old, {"files": {}})
    nodes, links, deleted = delta._replaced(prev, new_dir, new, "entities", "resolved_to", "entity")
    assert deleted == ["E1", "E2", "E3"]
    assert sorted(n["key"] for n in nodes) == ["E1", "E2"]
    assert sorted((r["party"], r["entity"]) for r in links) == [("p1", "E1"), ("p2", "E2"), ("p4", "E2")]


def test_a_column_of_nulls_only_compares_as_its_values():
    """A part whose column holds no value is of Arrow's null type (community_id without community
    detection, group_id without groups): the diff reads it as nulls of the other side's type."""
    old = pa.Table.from_pylist([{"key": "a", "c": None, "g": None}, {"key": "b", "c": None, "g": None}])
    new = pa.Table.from_pylist([{"key": "a", "c": None, "g": None}, {"key": "b", "c": 3, "g": None}])
    assert pa.types.is_null(old.schema.field("c").type) and pa.types.is_null(new.schema.field("g").type)
    rows, gone = delta.changed_rows(old, new)
    assert rows == [{"key": "b", "c": 3, "g": None}] and gone == []
    assert delta.changed_rows(new, old)[0] == [{"key": "b", "c": None, "g": None}]
    assert delta.changed_rows(old, old)[0] == []


def test_groups_that_all_go_are_deleted(tmp_path):
    """A run without groups hands over no group or member_of file: every old group is deleted."""
    import pyarrow.parquet as pq

    old_dir = tmp_path / "old"
    old_dir.mkdir()
    group = {"key": "G1", "risk": 0.5, "size": 2, "links": "[]", "reasons": "[]"}
    pq.write_table(pa.Table.from_pylist([group]), old_dir / "network.groups.parquet")
    pq.write_table(pa.Table.from_pylist([{"party": "p1", "group": "G1"}, {"party": "p2", "group": "G1"}]),
                   old_dir / "network.member_of.parquet")
    files = {"groups": "network.groups.parquet", "member_of": "network.member_of.parquet"}
    prev = delta.Previous(old_dir, "score:x", {"files": files}, {"files": {}})
    nodes, links, deleted = delta._replaced(prev, tmp_path, {"files": {"groups": None, "member_of": None}},
                                            "groups", "member_of", "group")
    assert (nodes, links, deleted) == ([], [], ["G1"])
