"""Randomised scenarios of the typology simulator (issue 12): drawn per seed, deterministic, and
their truth agrees with the bundle (planted members exist, the new honest look-alikes are labelled
and really share what truth says they share). The fixed world is pinned byte for byte elsewhere
(`test_simulator.test_fixed_world_bytes_did_not_move`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_simulator import files_digest, norm_addr, norm_phone, party_links, read

from ingest.simulate import generate_world
from ingest.simulate.knobs import SCENARIO_KNOBS, default_knobs
from ingest.simulate.scenario import draw_scenario

SEED, ROWS = 33, 6000  # a draw with an unrecorded ring, uncaptured rings and nominee-only links


@pytest.fixture(scope="module")
def rworld(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("randomised")
    generate_world(out, seed=SEED, declarations=ROWS, scenario="randomised")
    w = {n: read(out, n) for n in ("parties", "declarations", "officers", "offences")}
    w["truth"] = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    w["path"] = out
    return w


def test_same_seed_same_bytes_other_seed_other_world(tmp_path: Path, rworld):
    generate_world(tmp_path / "a", seed=SEED, declarations=ROWS, scenario="randomised")
    assert files_digest(tmp_path / "a") == files_digest(rworld["path"])
    generate_world(tmp_path / "b", seed=SEED + 1, declarations=ROWS, scenario="randomised")
    da, db = files_digest(tmp_path / "a"), files_digest(tmp_path / "b")
    assert all(da[n] != db[n] for n in da)
    tb = json.loads((tmp_path / "b" / "truth.json").read_text())
    assert tb["scenario"] != rworld["truth"]["scenario"]
    # and not the fixed world of the same seed
    generate_world(tmp_path / "f", seed=SEED, declarations=ROWS)
    assert files_digest(tmp_path / "f")["declarations.csv"] != da["declarations.csv"]
    assert "scenario" not in json.loads((tmp_path / "f" / "truth.json").read_text())


def test_unknown_scenario_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="unknown scenario"):
        generate_world(tmp_path / "x", declarations=1000, scenario="random")


def test_caller_knobs_win_over_the_drawn_ones(tmp_path: Path):
    generate_world(tmp_path / "k", seed=SEED, declarations=ROWS, scenario="randomised", rings=4, families=0)
    t = json.loads((tmp_path / "k" / "truth.json").read_text())
    assert len(t["rings"]) == 4 and "family_firms" not in t["traps"]
    assert t["scenario"]["rings"] == draw_scenario(SEED, ROWS)["rings"]  # what was drawn, overridden or not


def test_drawn_parameters_span_wide_ranges():
    draws = [draw_scenario(s, 20000) for s in range(1, 121)]
    known = set(default_knobs(20000)) | set(SCENARIO_KNOBS)
    assert all(set(d) <= known for d in draws)
    for d in draws:
        assert abs(sum(d["ring_link_p"]) - 1) < 1e-9 and min(d["ring_link_p"]) >= 0
        assert set(d["unrecorded_rings"]) <= set(range(d["rings"])) >= set(d["uncaptured_rings"])
        assert 1 <= d["ring_member_suppliers"][1] <= min(3, d["ring_suppliers"])
        assert d["cover_price_factor"][0] < d["cover_price_factor"][1]
    spread = {k: (min(d[k] for d in draws), max(d[k] for d in draws))
              for k in ("ring_offender_share", "cover_caught_share", "messy_share", "missing_share", "rings")}
    assert spread["ring_offender_share"][0] < 0.2 and spread["ring_offender_share"][1] > 0.55
    assert spread["cover_caught_share"][0] < 0.1 and spread["cover_caught_share"][1] > 0.45
    assert spread["rings"][1] >= 2 * spread["rings"][0]
    assert any(d["ring_link_p"] == [1.0, 0, 0, 0, 0] for d in draws), "some worlds tie rings by nominees only"
    assert any(d["unrecorded_rings"] for d in draws) and any(not d["unrecorded_rings"] for d in draws)
    assert any(d["uncaptured_rings"] for d in draws)


def test_truth_records_the_scenario_and_the_moved_knobs(rworld):
    t = rworld["truth"]
    sc = t["scenario"]
    assert sc["name"] == "randomised"
    assert {k: v for k, v in sc.items() if k != "name"} == draw_scenario(SEED, ROWS)
    for k, v in sc.items():
        if k != "name" and (k not in SCENARIO_KNOBS or v != SCENARIO_KNOBS[k]):
            assert t["knobs"][k] == v, k


def test_planted_parties_exist_and_rings_follow_their_scenario(rworld):
    t, dec, off = rworld["truth"], rworld["declarations"], rworld["offences"]
    ids = set(rworld["parties"]["party_id"])
    offenders = set(off["party_id"])
    sc = t["scenario"]
    assert len(t["rings"]) == sc["rings"]
    for r, ring in enumerate(t["rings"]):
        assert set(ring["members"]) <= ids
        lo, hi = sc["ring_size"]
        assert lo <= len(ring["members"]) <= hi
        assert not set(ring["clean_members"]) & offenders
        assert set(ring["offenders"]) | set(ring["clean_members"]) == set(ring["members"])
        if r in sc["unrecorded_rings"]:
            assert ring["offenders"] == [], "an unrecorded ring has no offence at all"
        rows = dec[dec["consignee_id"].isin(ring["members"])]
        if r in sc["uncaptured_rings"]:
            assert ring["broker"] is None
        else:
            assert ring["broker"] in ids and set(rows["broker_id"]) == {ring["broker"]}
        assert rows["consignor_id"].nunique() <= sc["ring_suppliers"]
        if sc["ring_link_p"] == [1.0, 0.0, 0.0, 0.0, 0.0]:  # nominees only: no identifier is shared
            assert not any(ring["shared_by"][k] for k in ("phones", "addresses", "banks", "emails"))
            assert ring["shared_by"]["directors"]
    assert {p["successor"] for p in t["phoenix"]} <= ids
    assert set(t["cover"]["planted_declarations"]) <= set(dec["declaration_id"] + "/" + dec["item_no"])


def test_honest_look_alikes_are_labelled_and_share_what_truth_says(rworld):
    t, p = rworld["truth"], rworld["parties"].set_index("party_id")
    offi, off = rworld["officers"], rworld["offences"]
    traps = t["traps"]
    assert traps["accountants"] and traps["families"]
    assert set(traps["accountant_clients"]) == {m for a in traps["accountants"] for m in a["members"]}
    assert set(traps["family_firms"]) == {m for f in traps["families"] for m in f["members"]}
    ids = set(p.index)
    col = {"phone": ("phone", norm_phone), "email": ("email", lambda x: x), "address": ("address", norm_addr)}
    lo, hi = t["scenario"]["accountant_clients"]
    for a in traps["accountants"]:
        assert set(a["members"]) <= ids and lo <= len(a["members"]) <= hi
        for kind in a["kinds"]:
            c, f = col[kind]
            assert len({f(v) for v in p.loc[a["members"], c]}) == 1, kind
    for fam in traps["families"]:
        assert set(fam["members"]) <= ids and len(fam["members"]) >= 2
        assert set(offi.loc[offi["person_id"] == fam["director"], "company_id"]) == set(fam["members"])
        assert len({norm_addr(v) for v in p.loc[fam["members"], "address"]}) == 1
    # paperwork offences on look-alikes: recorded, with no duty evaded, and counted as offenders
    paper = traps["paperwork_offenders"]
    assert paper and set(paper) <= set(traps["accountant_clients"]) | set(traps["family_firms"])
    own = off[off["party_id"].isin(paper)]
    assert (own["offence_type"] == "documentation").any() and set(paper) <= set(t["offenders"])
    assert (own.loc[own["offence_type"] == "documentation", "evaded_amount"].astype(float) == 0).all()
    # no look-alike is also a planted scheme member
    schemes = {m for r in t["rings"] for m in r["members"]} | {x["successor"] for x in t["phoenix"]}
    assert not schemes & (set(traps["accountant_clients"]) | set(traps["family_firms"]))


def test_every_shared_identifier_is_planted(rworld):
    """The truth stays complete: a shared value belongs to a ring, phoenix pair, duplicate group,
    business centre, accountant's clients or family (a duplicate of a client shares its accountant)."""
    t = rworld["truth"]
    groups: list[set[str]] = [set(r["members"]) for r in t["rings"]]
    groups += [{x["predecessor"], x["successor"]} for x in t["phoenix"]]
    groups += [set(b["members"]) for b in t["traps"]["business_centres"]]
    groups += [set(a["members"]) for a in t["traps"]["accountants"]]
    groups += [set(f["members"]) for f in t["traps"]["families"]]
    dup_of = {x: set(g) for g in t["duplicates"] for x in g}
    groups = [set().union(*(dup_of.get(x, {x}) for x in g)) for g in groups] \
        + [set(g) for g in t["duplicates"]]
    for kind, values in party_links(rworld["parties"]).items():
        for v, holders in values.items():
            assert any(set(holders) <= g for g in groups), f"unplanted shared {kind} {v}: {holders}"


def test_offender_paperwork_share_records_planted_catches_as_paperwork(tmp_path: Path):
    base = {"seed": 5, "declarations": 4000, "scenario": "randomised"}
    generate_world(tmp_path / "none", **base, offender_paperwork_share=0.0, trap_paperwork_share=0.0)
    generate_world(tmp_path / "all", **base, offender_paperwork_share=1.0, trap_paperwork_share=0.0)
    t = json.loads((tmp_path / "all" / "truth.json").read_text())
    planted = {m for r in t["rings"] for m in r["offenders"]} | {x["predecessor"] for x in t["phoenix"]}
    off = read(tmp_path / "all", "offences")
    own = off[off["party_id"].isin(planted) & off["declared_hs_code"].isna()]  # not the caught cover items
    assert len(own) and (own["offence_type"] == "documentation").all()
    none = read(tmp_path / "none", "offences")
    assert not (none["party_id"].isin(planted) & (none["offence_type"] == "documentation")).any()
    assert np.isclose(own["evaded_amount"].astype(float), 0).all()
