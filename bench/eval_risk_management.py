"""Risk management on simulated worlds: random picks against the true compliance rate, trader categories
against the ground truth, and the effectiveness of the lanes (issue 13).

Per seed: generate a world, ingest it into a fresh embedded store, score with a random share of every
lane (`--share`, 5 % by default so that a 6k-row world gives ~300 random picks), let the simulator's
officers inspect every random pick and up to 200 targeted red picks (`ingest.simulate.inspect`, from the
truth), then read the effectiveness and the stored categories back.

    .venv/bin/python bench/eval_risk_management.py --seeds 11 23 --declarations 6000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.declarations.categories import confusion, every_month, stability
from graph.pipeline import effectiveness
from graph.pipeline.run import score
from graph.settings import Settings
from graph.store import open_store
from ingest.load import ingest_bundle
from ingest.simulate import generate_world
from ingest.simulate import inspect as oracle


def truth_classes(truth: dict, entity_of: dict[str, str], source: str) -> pd.Series:
    """Entity -> its true class: ring member, phoenix successor, other offender, honest (no offence)
    (the tests read it from here too)."""
    def e(p: str) -> str | None:
        return entity_of.get(f"{source}:{p}")
    cls = {ent: "honest (no offence)" for ent in entity_of.values()}
    for p in truth["offenders"] + truth.get("smugglers", []):
        cls[e(p)] = "other offender"
    for r in truth["rings"]:
        for m in r["members"]:
            cls[e(m)] = "ring member"
    for ph in truth["phoenix"]:
        cls[e(ph["successor"])] = "phoenix successor"
    return pd.Series({k: v for k, v in cls.items() if k})


def one(seed: int, n: int, share: float, tmp: Path) -> dict:
    world = tmp / f"w{seed}"
    generate_world(world, seed=seed, declarations=n)
    shares = {x: share for x in ("green", "yellow", "red")}
    s = Settings(env="test", data_dir=tmp / f"d{seed}", random_share=shares)
    with open_store(s) as store:
        store.ensure_schema()
        ingest_bundle(store, world, settings=s, progress=False)
        score(store, s, progress=False, communities=False)
        picks = [r["key"] for r in store.execute(
            "MATCH (d:Declaration) WHERE d.selected_at_random = true RETURN d.key AS key")]
        targeted = [r["key"] for r in store.execute(
            "MATCH (d:Declaration) WHERE d.lane = 'red' AND d.selected_at_random = false "
            "AND d.inspection_result IS NULL RETURN d.key AS key ORDER BY key LIMIT 200")]
        for i, (k, v) in enumerate(oracle.inspect(world, picks + targeted).items()):
            store.run("intake.record_inspection", key=f"sim-{i:06d}", subject=k, value=v, note=None,
                      user="sim", at="2026-01-01T00:00:00+00:00", inspected_on=dt.date(2026, 1, 1),
                      officer="simulated")
        e = effectiveness.effectiveness(store, s)
        cats = store.run_frame("risk.trader_categories")
        ents = store.run_frame("risk.party_entities")
    truth = json.loads((world / "truth.json").read_text())
    classes = truth_classes(truth, dict(zip(ents["key"], ents["entity_id"], strict=True)),
                            ents["key"].iloc[0].split(":")[0])
    last = cats.sort_values("month").drop_duplicates("entity", keep="last")
    months = every_month(cats, str(cats["month"].max()))  # the store keeps change points
    whole = e["compliance"][0]
    return {"seed": seed, "true_compliance": round(oracle.compliance_rate(world), 4),
            "random_estimate": [whole["random_inspected"], whole["compliance"], whole["low"], whole["high"]],
            "confusion_latest_month": confusion(last, classes).to_dict("index"),
            "confusion_all_months": confusion(months, classes).to_dict("index"),
            "honest_stability": round(stability(months, classes.index[classes == "honest (no offence)"]), 4),
            "measures": [{k: m[k] for k in ("measure", "value", "selections", "inspections", "hits",
                                            "hit_rate", "low", "high", "duties_recovered", "lift")}
                         for m in e["measures"]]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[11])
    ap.add_argument("--declarations", type=int, default=6000)
    ap.add_argument("--share", type=float, default=0.05)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = [one(seed, a.declarations, a.share, Path(tmp)) for seed in a.seeds]
    print(json.dumps(out, indent=1))
    res = Path(__file__).parent / "results"
    res.mkdir(exist_ok=True)
    (res / "risk_management.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
