"""The simulator's inspections: an item is found non-compliant exactly when its row records a violation
or it is a planted, uncaught scheme item; the true compliance rate is the share of the others."""

from __future__ import annotations

import json

import pandas as pd

from ingest.simulate import inspect as oracle


def test_inspections_find_what_the_truth_planted(small_world):
    dec = pd.read_csv(small_world / "declarations.csv", dtype=str, keep_default_na=False)
    keys = (dec["declaration_id"] + "/" + dec["item_no"]).tolist()
    truth = json.loads((small_world / "truth.json").read_text())
    planted = set(truth["cover"]["planted_declarations"]) | set(
        truth["undervaluation"]["planted_declarations"])
    violated = set((dec["declaration_id"] + "/" + dec["item_no"])[dec["inspection_result"] == "violation"])
    assert planted and violated and not planted & violated  # planted ones are the uncaught ones
    found = oracle.inspect(small_world, keys)
    assert {k for k, v in found.items() if v == "violation"} == planted | violated
    # store keys (source:declaration_id/item_no) answer the same
    k = next(iter(planted))
    assert oracle.inspect(small_world, [f"customs:{k}"]) == {f"customs:{k}": "violation"}
    rate = oracle.compliance_rate(small_world)
    assert rate == 1 - len(planted | violated) / len(keys) and 0.9 < rate < 1.0
    assert truth["compliance"] == {"items": len(keys), "non_compliant": len(planted | violated),
                                   "rate": round(rate, 6)}
