"""The profile context of a scoring run: hops to offenders equal networkx's, and on a simulated world
the starter pack finds the planted cover items, and an item assessed from the stored party properties
(the `POST /assess` path) gets the lane and reasons the batch gave it."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from graph.declarations.profiles import apply_profiles, apply_to_item, evaluate, profiles_from_toml
from graph.pipeline.profile_context import apply_to_results, offender_hops, profile_context
from graph.pipeline.profile_store import assess_item, live_cached, save, store_context
from graph.pipeline.run import analyse
from graph.store.frames import Frames

STARTER = Path(__file__).resolve().parents[3] / "graph" / "declarations" / "profiles_starter.toml"


@pytest.mark.parametrize("seed", range(6))
def test_offender_hops_equal_networkx_shortest_paths(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    g = nx.gnm_random_graph(n, int(rng.integers(0, 2 * n)), seed=seed)
    seeds = (rng.random(n) < 0.1).astype(float)
    edges = np.array(list(g.edges()) or np.zeros((0, 2)), dtype=np.int64).reshape(-1, 2)
    got = offender_hops(n, edges[:, 0], edges[:, 1], seeds, max_hops=3)
    src = [i for i in range(n) if seeds[i] > 0]
    want = np.full(n, np.nan)
    if src:
        for node, d in nx.multi_source_dijkstra_path_length(g, src, cutoff=3).items():
            want[node] = d
    np.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def scored(scored_world):
    r = analyse(Frames.from_store(scored_world.store), communities=False)  # seeded: what the run wrote
    return scored_world.store, r, scored_world.truth


def test_the_context_carries_the_runs_risk_groups_phoenix_and_hops(scored):
    _, r, truth = scored
    ctx = profile_context(r)
    assert ctx.party_risk.equals(r.party_risk().round(6))
    assert ctx.party_group.notna().all() and ctx.party_group.nunique() == len(r.groups.table)
    assert len(ctx.phoenix) >= len(r.phoenix) > 0
    offenders = {f"customs:{x}" for x in truth["offenders"]} & set(ctx.offender_hops.index)
    assert offenders and (ctx.offender_hops[sorted(offenders)] == 0).mean() > 0.9
    assert set(ctx.offender_hops.unique()) >= {0.0, 1.0}


def test_the_starter_pack_finds_the_planted_cover_items(scored):
    _, r, truth = scored
    ctx = profile_context(r)
    d = r.frames.declarations
    planted = {f"customs:{k}"
               for k in truth["cover"]["planted_declarations"] + truth["cover"]["caught_declarations"]}
    pack = {p.id: p for p in profiles_from_toml(STARTER.read_text(encoding="utf-8"))}
    picked = set(d["key"][evaluate(pack["tbml-cover-low-duty-code"], d, ctx)])
    assert len(picked & planted) >= 0.9 * len(planted)
    assert len(picked & planted) >= 0.8 * len(picked)


def test_an_item_assessed_from_the_store_gets_what_the_batch_gave_it(scored):
    store, r, _ = scored
    d = r.frames.declarations
    # the network ones too, now that hops are stored; in the store's order (by id), as the batch reads them
    pack = sorted(profiles_from_toml(STARTER.read_text(encoding="utf-8")), key=lambda p: p.id)
    assert any("offender_hops" in p.criteria for p in pack)
    ctx = profile_context(r)
    batch = apply_profiles(d, ctx, pack, d["lane"])
    for p in pack:
        assert save(store, p.as_dict(), "analyst")[1]
    assert [p.id for p in live_cached(store)] == sorted(p.id for p in pack)
    roles = ["declarant", "consignee", "consignor", "carrier", "broker"]
    rows = np.flatnonzero(np.array([bool(x) for x in batch.fired]))[:40]
    rows = np.r_[rows, np.arange(0, len(d), max(len(d) // 40, 1))]
    assert len(rows) > 60
    for i in rows:
        row = d.iloc[int(i)].to_dict()
        single = store_context(store, [row[k] for k in roles if isinstance(row.get(k), str)], norms=ctx.norms)
        lane, reasons = apply_to_item(row, single, pack, row["lane"])
        assert lane == batch.lanes.iloc[int(i)], (row["key"], batch.fired[int(i)])
        assert [r.detail for r in reasons] == [r.detail for r in batch.reasons[int(i)]]
        assert reasons == batch.reasons[int(i)]
        # what POST /assess calls: the stored live profiles, read through the cache
        assert assess_item(store, row, row["lane"], ctx.norms) == (lane, reasons)
    assert pd.Series(batch.lanes).isin(["red"]).sum() > 0


def test_a_runs_assessment_takes_the_strictest_lane_and_the_profiles_reasons(scored):
    _, r, _ = scored
    a = r.declarations["assessment"]
    before = a["lane"].to_numpy().copy()
    pack = profiles_from_toml(STARTER.read_text(encoding="utf-8"))
    out = apply_to_results(r, pack)
    order = ["green", "blue", "yellow", "red"]
    after = r.declarations["assessment"]["lane"].to_numpy()
    assert all(order.index(x) >= order.index(y) for x, y in zip(after, before, strict=True))
    changed = np.flatnonzero(after != before)
    assert len(changed) > 0
    for i in changed[:50]:
        stored = r.declarations["assessment"]["assessment_reasons"].iloc[i]
        assert any(x["feature"].startswith("profile:") and x["value"] == after[i] for x in stored)
    assert out.lanes.tolist() == list(after)
