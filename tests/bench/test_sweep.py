"""The sweep's measures (bench.evaluations.sweep) on hand-made exports whose answers are worked out
by hand, then one small randomised world through the real product (ingest, score, export)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.evaluations.sweep import (
    COVER_SHOWN,
    cover_measures,
    entity_measures,
    premium_measures,
    resolution_measures,
    run_world,
    summarise,
    world_rows,
)


def _e(pid, ent, score, group=None):
    return {"party_id": pid, "entity_id": ent, "risk_score": score, "group_id": group}


TRUTH = {
    "rings": [{"members": ["A1", "A2", "A3"], "offenders": ["A1"], "clean_members": ["A2", "A3"]},
              {"members": ["B1", "B2"], "offenders": ["B1", "B2"], "clean_members": []}],
    "phoenix": [{"predecessor": "P", "successor": "S"}],
    "offenders": ["A1", "B1", "B2", "O", "P"],
    "traps": {"accountant_clients": ["T"], "closed_honest": ["H"]},  # closed_honest is not a trap kind
    "duplicates": [["D1", "D2"], ["S", "S2"]],
    "cover": {"planted_declarations": ["X1/1", "X4/1", "X5/1"], "caught_declarations": ["X9/1"]},
}
ENTITIES = [
    _e("A1", "eA1", 0.9, "g1"), _e("A2", "eA2", 0.8, "g1"), _e("A3", "eA3", 0.3, "g1"),
    _e("H", "eH", 0.1, "g1"),
    _e("B1", "eB1", 0.99, "g2"), _e("B2", "eB2", 0.99, "g2"),
    _e("S", "eS", 0.7), _e("S2", "eS2", 0.05), _e("T", "eT", 0.75), _e("O", "eO", 0.95), _e("P", "eP", 0.6),
    _e("D1", "eD", 0.2), _e("D2", "eD", 0.4),
]


def test_entity_measures_by_hand():
    m = entity_measures(ENTITIES, TRUTH)
    # hidden: A2, A3 (clean ring members) and S (successor): K = 3. Without offenders the ranking is
    # A2 .80, T .75, S .70, eD .40 (its best record), A3 .30, ... -> top 3 = A2, T, S
    assert m["k"] == 3
    assert m["entity_precision_at_k"] == pytest.approx(2 / 3)
    assert m["trap_share_top_k"] == pytest.approx(1 / 3) and m["traps_in_top_k"] == 1
    assert m["traps_in_top_k_by_kind"] == {"accountant_clients": 1}
    assert m["hidden_in_top_k_by_kind"] == {"recorded_ring": [1, 2], "phoenix_successor": [1, 1]}
    # ring A is all in g1, but g1 has one outsider of four (25 % > 20 %); ring B is exactly g2
    assert m["rings"] == 2 and m["rings_recovered"] == 0.5


def test_a_ring_without_any_offence_counts_as_unrecorded():
    truth = json.loads(json.dumps(TRUTH))
    truth["rings"].append({"members": ["C1", "C2"], "offenders": [], "clean_members": ["C1", "C2"]})
    ents = [*ENTITIES, _e("C1", "eC1", 0.85, "g3"), _e("C2", "eC2", 0.01, "g3")]
    m = entity_measures(ents, truth)
    # K = 5: C1 .85, A2 .80, T .75, S .70, eD .40 -> hits C1, A2, S; ring C is exactly g3
    assert m["k"] == 5 and m["entity_precision_at_k"] == pytest.approx(3 / 5)
    assert m["hidden_in_top_k_by_kind"]["unrecorded_ring"] == [1, 2]
    assert m["rings"] == 3 and m["rings_recovered"] == pytest.approx(2 / 3)


def test_a_ring_split_over_groups_or_ungrouped_is_not_recovered():
    ents = [dict(r) for r in ENTITIES]
    for r in ents:
        if r["party_id"] == "H":
            r["group_id"] = None          # ring A alone in g1 now: recovered
        if r["party_id"] == "B2":
            r["group_id"] = None          # ring B half ungrouped: 50 % < 80 %
    assert entity_measures(ents, TRUTH)["rings_recovered"] == 0.5
    for r in ents:
        if r["party_id"] == "B2":
            r["group_id"] = "g2"
    assert entity_measures(ents, TRUTH)["rings_recovered"] == 1.0


def test_cover_measures_by_hand():
    items = [{"declaration_id": "X3", "item_no": 1, "score": 0.7},
             {"declaration_id": "X1", "item_no": 1, "score": 0.9},
             {"declaration_id": "X4", "item_no": 1, "score": 0.1},
             {"declaration_id": "X2", "item_no": 1, "score": 0.8}]
    m = cover_measures(items, TRUTH)
    # K = 3 planted: the top 3 by score are X1, X2, X3 -> 1 hit; all four flagged hold X1 and X4
    assert m["cover_k"] == 3 and m["cover_flagged"] == 4
    assert m["cover_precision_at_k"] == pytest.approx(1 / 3)
    assert m["cover_recall"] == pytest.approx(2 / 3)
    assert m["cover_precision_flagged"] == pytest.approx(2 / 4)


def test_premium_measures_by_hand():
    truth = json.loads(json.dumps(TRUTH))
    truth["traps"]["premium_items"] = ["X3/1", "X6/1", "X7/1", "X8/1"]
    items = [{"declaration_id": "X3", "item_no": 1, "score": 0.7},   # premium, shown
             {"declaration_id": "X1", "item_no": 1, "score": 0.9},   # planted cover, shown
             {"declaration_id": "X6", "item_no": 1, "score": 0.3},   # premium, exported below the bar
             {"declaration_id": "X2", "item_no": 1, "score": COVER_SHOWN}]  # shown (the bar counts)
    m = premium_measures(items, truth)
    assert m["premium_items"] == 4 and m["premium_flagged"] == 2 and m["premium_shown"] == 1
    assert m["premium_cover_share"] == pytest.approx(1 / 3)
    assert m["premium_flagged_share"] == pytest.approx(2 / 4)
    assert m["premium_shown_share"] == pytest.approx(1 / 4)
    # a world that plants none (the fixed one) has no figure, and the summary leaves it out
    none = premium_measures(items, TRUTH)
    assert none["premium_cover_share"] is None and none["premium_flagged_share"] is None
    s = summarise([{"seed": 1, **none}, {"seed": 2, **m}])
    assert s["premium_cover_share"]["worlds"] == 1
    assert s["premium_cover_share"]["worst"] == pytest.approx(1 / 3)
    assert premium_measures([], truth)["premium_cover_share"] == 0.0


def test_a_premium_importer_in_the_top_k_is_a_trap():
    truth = json.loads(json.dumps(TRUTH))
    truth["traps"] = {"premium_importers": ["T"]}
    m = entity_measures(ENTITIES, truth)
    assert m["traps_in_top_k_by_kind"] == {"premium_importers": 1}
    assert m["trap_share_top_k"] == pytest.approx(1 / 3)


def test_resolution_measures_by_hand():
    resolved = [{"party_id": p, "entity_id": e} for p, e in
                (("D1", "eD"), ("D2", "eD"), ("S", "eS"), ("S2", "eS2"), ("A2", "eX"), ("A3", "eX"),
                 ("H", "eH"))]
    m = resolution_measures(resolved, TRUTH)
    # true pairs {D1-D2, S-S2}, predicted {D1-D2, A2-A3}
    assert m["resolution_precision"] == 0.5 and m["resolution_recall"] == 0.5 and m["resolution_f1"] == 0.5


def test_summary_names_the_worst_and_the_median_world():
    worlds = [{"seed": s, "entity_precision_at_k": p, "trap_share_top_k": t}
              for s, p, t in ((1, 0.9, 0.0), (2, 0.5, 0.1), (3, 0.7, 0.02), (4, 0.95, 0.05))]
    s = summarise(worlds)
    e, t = s["entity_precision_at_k"], s["trap_share_top_k"]
    assert (e["worst"], e["worst_seed"], e["median"], e["median_seed"], e["meet_goal"]) == (0.5, 2, 0.7, 3, 2)
    assert ((t["worst"], t["worst_seed"], t["median"], t["median_seed"], t["meet_goal"])
            == (0.1, 2, 0.05, 4, 2))
    assert "cover_recall" not in s  # no world measured it


def test_world_sizes_are_drawn_per_seed_in_range():
    sizes = [world_rows(s) for s in range(1001, 1031)]
    assert sizes == [world_rows(s) for s in range(1001, 1031)]
    assert all(6000 <= n <= 40000 and n % 100 == 0 for n in sizes) and len(set(sizes)) > 20


def test_one_small_randomised_world_through_the_product(tmp_path):
    """The product's exports of a real world: K and the cover K are the truth's own counts."""
    from ingest.simulate import generate_world

    m = run_world(4, rows=3000, workdir=tmp_path)
    generate_world(tmp_path / "w", seed=4, declarations=3000, scenario="randomised")
    truth = json.loads((tmp_path / "w" / "truth.json").read_text())
    hidden = ({x for r in truth["rings"] for x in r["clean_members"]}
              | {p["successor"] for p in truth["phoenix"]})
    assert m["k"] == len(hidden - set(truth["offenders"]))  # no duplicates among them in this world
    assert m["cover_k"] == len(truth["cover"]["planted_declarations"]) > 0
    assert m["rings"] == len(truth["rings"]) and m["shape"]["rings"] == len(truth["rings"])
    for key in ("entity_precision_at_k", "trap_share_top_k", "rings_recovered", "cover_precision_at_k",
                "cover_recall", "resolution_f1"):
        assert 0.0 <= m[key] <= 1.0, key
    assert m["cover_flagged"] > 0 and m["resolution_f1"] > 0
    assert m["premium_items"] == len(truth["traps"]["premium_items"]) > 0
    assert 0.0 <= m["premium_cover_share"] <= 1.0 and 0.0 <= m["premium_flagged_share"] <= 1.0
    from ingest.simulate.goods import catalogue

    assert m["goods"] == catalogue()  # the goods list its world was drawn from, in the world's record


def test_the_honest_clients_of_a_ring_broker_are_traps(tmp_path):
    from bench.evaluations.sweep import captured_broker_clients

    (tmp_path / "declarations.csv").write_text(
        "declaration_id,declarant_id,consignee_id,broker_id\n"
        "D1,B1,R1,B1\n"      # a ring member through the ring's broker
        "D2,B1,H1,B1\n"      # an honest client of the same broker: the trap
        "D3,H2,,B1\n"        # no consignee: the declarant is liable
        "D4,X1,H3,B9\n",     # another broker's client: not a trap
        encoding="utf-8")
    truth = {"rings": [{"members": ["R1", "R2"], "broker": "B1"}, {"members": ["R3"], "broker": None}]}
    assert captured_broker_clients(tmp_path, truth) == ["H1", "H2"]
    assert captured_broker_clients(tmp_path, {"rings": [{"members": ["R3"], "broker": None}]}) == []


def test_a_world_is_drawn_from_the_goods_list_the_checkout_finds(tmp_path):
    """Issue 12's "same seed, other figures": the same seed is another world when the HS nomenclature
    is not beside the code (a copy of the code in /tmp), so `catalogue` says which list was used."""
    from conftest import dataset

    from ingest.simulate import FALLBACK_HS, generate_world
    from ingest.simulate.goods import catalogue

    hs = dataset("hs", "harmonized-system.csv")
    assert catalogue(hs) == {"source": "harmonized-system.csv",
                             "sha256": hashlib.sha256(hs.read_bytes()).hexdigest()[:16]}
    assert catalogue(tmp_path / "missing.csv") == {"source": "built-in", "codes": len(FALLBACK_HS)}
    generate_world(tmp_path / "a", seed=4, declarations=1500, scenario="randomised", hs_path=hs)
    generate_world(tmp_path / "b", seed=4, declarations=1500, scenario="randomised",
                   hs_path=tmp_path / "missing.csv")
    assert (tmp_path / "a" / "parties.csv").read_bytes() != (tmp_path / "b" / "parties.csv").read_bytes()


def test_the_sweep_stops_without_the_hs_nomenclature(tmp_path):
    """Before any world: exit 2 and the reason, so no sweep measures other worlds unawares."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TAMGA_DATASETS": str(tmp_path / "none"), "PYTHONPATH": str(root)}
    p = subprocess.run([sys.executable, str(root / "bench" / "sweep.py"), "--seeds", "4", "--rows", "1000",
                        "--workers", "1"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr[-2000:]
    assert "HS nomenclature is not found" in p.stderr and "--builtin-goods" in p.stderr
