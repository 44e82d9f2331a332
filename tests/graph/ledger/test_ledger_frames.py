"""The frames from the ledger equal the frames from the store, and so do the scores.

A seeded simulated world (seed 7, 8,000 declaration rows; ~9,000 rows in all) is ingested into a
real Grafeo store on disk and the ledger beside it in the same run, scored once (so the store holds
lanes), and given decisions and inspection results through the API's own queries; then
`Frames.from_ledger` must equal `Frames.from_store` frame by frame and `analyse` give the same results.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from graph.ledger import Ledger
from graph.pipeline.run import analyse, report
from graph.store.frames import COLUMNS, Frames
from graph.store.ledger_frames import StoreState
from ingest.load import ingest_bundle

ORDER = {"declarations": ["key"], "parties": ["key"], "officers": ["person", "company", "role"],
         "identifiers": ["party", "label", "value"], "offences": ["key"], "decisions": ["at", "subject"]}


@pytest.fixture(scope="module")
def scored_world_params() -> dict:
    return {"seed": 7, "declarations": 8000, "communities": False}


def _decide(store, key: str, kind: str, subject: str, value: str | None = None,
            obj: str | None = None) -> None:
    store.run("api.decision_create", key=key, kind=kind, subject=subject, object=obj, value=value, note=None,
              user="tester", at=f"2026-01-01T00:00:{len(key):02d}+00:00", status="effective")


@pytest.fixture(scope="module")
def stored(scored_world):
    store, s = scored_world.store, scored_world.settings
    # the store's mutable state, through the API's own queries: an item's and a declaration's
    # inspection result, a confirmed-risk decision and a withdrawn one
    items = store.execute("MATCH (d:Declaration) RETURN d.key AS key, d.declaration_key AS dk "
                          "ORDER BY key LIMIT 40")
    party = store.execute("MATCH (p:Party) RETURN p.key AS key ORDER BY key LIMIT 2")
    _decide(store, "d1", "inspection", items[0]["key"], "violation")
    store.run("api.inspection_by_item", subject=items[0]["key"], value="violation")
    _decide(store, "d02", "inspection", items[30]["dk"], "clear")
    store.run("api.inspection_by_declaration", subject=items[30]["dk"], value="clear")
    _decide(store, "d003", "confirmed_risk", party[0]["key"])
    _decide(store, "d0004", "same_entity", party[0]["key"], obj=party[1]["key"])
    store.run("api.decision_soft_delete", key="d0004", at="2026-01-02T00:00:00+00:00", user="tester")
    return store, s


def _sorted(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.sort_values(ORDER[name], kind="stable", ignore_index=True)


def test_frames_from_the_ledger_equal_the_frames_from_the_store(stored):
    store, s = stored
    a = Frames.from_store(store)
    state = StoreState.from_store(store)
    b = Frames.from_ledger(Ledger.of(s), state)
    assert len(state.lanes) and len(state.inspections) and len(state.decisions) == 3  # live ones only
    assert a.declarations["lane"].notna().any()
    for name in COLUMNS:
        x, y = getattr(a, name), getattr(b, name)
        assert len(x) == len(y), name
        pd.testing.assert_frame_equal(_sorted(x, name), _sorted(y, name), obj=name)
    for name in ("declarations", "parties", "offences"):  # the ledger's own order: by key
        assert getattr(b, name)["key"].is_monotonic_increasing, name


def _same(x, y, where: str) -> None:
    """Deep equality of analysis results: arrays, frames, dataclasses, dicts, scalars."""
    if isinstance(x, pd.DataFrame):
        pd.testing.assert_frame_equal(x, y, obj=where)
    elif isinstance(x, pd.Series):
        pd.testing.assert_series_equal(x, y, obj=where)
    elif isinstance(x, np.ndarray):
        np.testing.assert_array_equal(x, y, err_msg=where)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        for f in dataclasses.fields(x):
            _same(getattr(x, f.name), getattr(y, f.name), f"{where}.{f.name}")
    elif isinstance(x, dict):
        assert x.keys() == y.keys(), where
        for k in x:
            _same(x[k], y[k], f"{where}[{k!r}]")
    elif isinstance(x, (list, tuple)):
        assert len(x) == len(y), where
        for i, (u, v) in enumerate(zip(x, y, strict=True)):
            _same(u, v, f"{where}[{i}]")
    elif isinstance(x, float) and np.isnan(x):
        assert isinstance(y, float) and np.isnan(y), where
    elif isinstance(x, (str, int, float, bool, type(None), np.generic)):
        assert x == y, where


def test_scores_on_the_ledger_frames_equal_those_on_the_store_frames(stored):
    store, s = stored
    a = analyse(Frames.from_store(store))
    b = analyse(Frames.from_ledger(Ledger.of(s), StoreState.from_store(store)))
    assert a.scores.score.size and a.declarations
    for f in dataclasses.fields(a):
        if f.name not in ("frames", "timings", "model"):
            _same(getattr(a, f.name), getattr(b, f.name), f.name)
    when = ("trained_at", "note")  # when each run trained its model (seconds apart), and the note saying so
    _same({k: v for k, v in (a.model or {}).items() if k not in when},
          {k: v for k, v in (b.model or {}).items() if k not in when}, "model")
    ra, rb = report(a), report(b)
    for k in ("seconds", "timings_s", "peak_rss_mb"):  # measurements of the run, not results
        ra.pop(k, None), rb.pop(k, None)
    for r in (ra, rb):  # when each run trained its model (seconds apart), and the note saying so
        for k in ("trained_at", "note"):
            (r.get("model") or {}).pop(k, None)
    _same(ra, rb, "report")


def test_a_reingest_adds_nothing_to_the_ledger(stored, scored_world):
    store, s = stored
    ledger = Ledger.of(s)
    before = {k: ledger.count(k) for k in COLUMNS if k in ("declarations", "parties", "officers", "offences")}
    parts = sorted(p.relative_to(ledger.root) for p in ledger.root.rglob("*.parquet"))
    ingest_bundle(store, scored_world.world, settings=s, progress=False)
    assert {k: ledger.count(k) for k in before} == before
    assert sorted(p.relative_to(ledger.root) for p in ledger.root.rglob("*.parquet")) == parts
    graph = store.execute("MATCH (d:Declaration) RETURN count(d) AS n")[0]["n"]
    assert before["declarations"] == graph > 7000  # the ledger holds what the graph holds


def test_store_state_overlays_by_key_first_row_wins():
    """The store's lanes and inspection results land on their items by key (the first row of a
    repeated key, unknown keys ignored), items without one keep the ledger's value, dtypes kept."""
    from graph.store.ledger_frames import overlay

    at = pd.Index(["s:1", "s:2", "s:3"])
    base = pd.Series(["clear", None, "violation"], dtype="str")
    rows = pd.DataFrame({"key": ["s:3", "s:9", "s:2", "s:3"], "v": ["clear", "violation", "violation", "x"]})
    got = overlay(at, rows.rename(columns={"v": "inspection_result"}), "inspection_result", base)
    assert got.tolist() == ["clear", "violation", "clear"] and got.dtype == base.dtype
    lanes = overlay(at, rows.rename(columns={"v": "lane"}), "lane", None)
    assert lanes.isna().tolist() == [True, False, False] and lanes.tolist()[1:] == ["violation", "clear"]
