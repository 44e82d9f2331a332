"""Premium importers (issue 12): honest firms at the luxury end of a low-duty code, the candidate
cover's look-alike; planted by a randomised scenario only, from streams of their own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_simulator import files_digest, read

from ingest.simulate import generate_world
from ingest.simulate.scenario import draw_scenario

SEED, ROWS = 33, 6000


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> dict:
    """The same randomised world with its drawn premium importers and with none."""
    out = {}
    for name, kw in (("with", {}), ("without", {"premium_importers": 0})):
        d = tmp_path_factory.mktemp(name)
        generate_world(d, seed=SEED, declarations=ROWS, scenario="randomised", **kw)
        out[name] = {"path": d, "declarations": read(d, "declarations"), "parties": read(d, "parties"),
                     "offences": read(d, "offences"),
                     "truth": json.loads((d / "truth.json").read_text(encoding="utf-8"))}
    return out


def _uv(d) -> np.ndarray:
    return d["customs_value"].astype(float).to_numpy() / d["net_mass_kg"].astype(float).to_numpy()


def test_premium_importers_are_honest_and_price_their_code_at_the_luxury_end(pair):
    w = pair["with"]
    t, dec = w["truth"], w["declarations"]
    traps = t["traps"]
    prem = traps["premium_importers"]
    assert len(prem) == t["scenario"]["premium_importers"] >= 2
    assert set(prem) <= set(w["parties"]["party_id"])
    schemes = ({m for r in t["rings"] for m in r["members"]} | {p["successor"] for p in t["phoenix"]}
               | {p["predecessor"] for p in t["phoenix"]} | set(t["smugglers"]))
    others = {p for kd in ("accountant_clients", "family_firms", "business_centre", "holding", "newcomers")
              for p in traps.get(kd, [])}
    assert not set(prem) & (schemes | others | {p for g in t["duplicates"] for p in g})
    key = dec["declaration_id"] + "/" + dec["item_no"]
    items = dec[key.isin(set(traps["premium_items"]))]
    assert len(items) == len(traps["premium_items"]) > 0
    lo, hi = t["scenario"]["premium_factor"]
    ratios = []
    for p in traps["premium"]:
        own = items[items["consignee_id"] == p["party"]]
        assert len(own) and set(own["hs_code"]) == {p["code"]}
        assert set(own["duty_rate"].astype(float)) <= {0.0, 5.0, 10.0}   # a low-duty code
        # the rest of the world's rows of that code: the premium ones sit well above them
        rest = dec[(dec["hs_code"] == p["code"]) & ~key.isin(set(traps["premium_items"]))
                   & (dec["regime"] != "EX10")]
        if len(rest) >= 10:
            ratio = np.median(_uv(own)) / np.median(_uv(rest))
            assert ratio > lo * 0.5, (p, ratio)   # its own price level and the air mass rule vary it
            ratios.append(ratio)
        # every import of the premium code by the firm is a premium item ("consistently")
        mine = dec[(dec["consignee_id"] == p["party"]) & (dec["hs_code"] == p["code"])
                   & (dec["regime"] != "EX10")]
        assert set(key[mine.index]) <= set(traps["premium_items"])
        assert lo <= p["factor"] <= hi
    assert ratios and np.median(ratios) > 1.6
    opened = [p for p in traps["premium"] if p["open_code"]]
    assert opened, "some premium importers declare a higher-duty heading openly"
    for p in opened:
        open_rows = dec[(dec["consignee_id"] == p["party"]) & (dec["hs_code"] == p["open_code"])]
        assert len(open_rows) and p["open_code"][:4] != p["code"][:4]
        assert open_rows["duty_rate"].astype(float).max() > items.loc[
            items["consignee_id"] == p["party"], "duty_rate"].astype(float).max()


def test_the_rest_of_the_world_stays_as_it_is(pair):
    """Planting them moves only their own rows: parties, officers and every other row are the same."""
    a, b = pair["with"], pair["without"]
    da, db = files_digest(a["path"]), files_digest(b["path"])
    assert da["parties.csv"] == db["parties.csv"] and da["officers.csv"] == db["officers.csv"]
    assert "premium_importers" not in b["truth"]["traps"]
    assert {k: v for k, v in a["truth"].items() if k not in ("knobs", "traps", "compliance")} \
        == {k: v for k, v in b["truth"].items() if k not in ("knobs", "traps", "compliance")}
    x, y = a["declarations"], b["declarations"]
    moved = ((x != y) & ~(x.isna() & y.isna())).any(axis=1)
    assert moved.any()
    assert set(x.loc[moved, "consignee_id"]) <= set(a["truth"]["traps"]["premium_importers"])
    # the offences are the same ones (an honest catch on a premium row may carry another amount)
    oa, ob = a["offences"], b["offences"]
    cols = [c for c in oa.columns if c != "evaded_amount"]
    assert oa[cols].equals(ob[cols])


def test_the_fixed_world_plants_none(tmp_path: Path):
    generate_world(tmp_path, seed=7, declarations=3000)
    t = json.loads((tmp_path / "truth.json").read_text())
    assert not {"premium_importers", "premium", "premium_items"} & set(t["traps"])
    assert "premium_importers" not in t["knobs"] or t["knobs"]["premium_importers"] == 0


def test_premium_knobs_are_drawn_wide_and_apart_from_the_others():
    draws = [draw_scenario(s, 20000) for s in range(1, 121)]
    for d in draws:
        lo, hi = d["premium_factor"]
        assert 1.8 <= lo < hi <= 4.0
        assert 0.2 <= d["premium_share"][0] < d["premium_share"][1] <= 0.95
        assert 0.2 <= d["premium_open_share"] <= 0.8 and d["premium_importers"] >= 2
    counts = [d["premium_importers"] for d in draws]
    assert max(counts) >= 3 * min(counts)
    assert min(d["premium_factor"][0] for d in draws) < 2.0
    assert max(d["premium_factor"][1] for d in draws) > 3.5
