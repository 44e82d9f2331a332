"""Inspections of a simulated world: what an officer finds on any item Tamga selects, from the truth.

Why: the world's bundle records only the inspections of its own history (the red and yellow channels,
and the catches of `offences`), all of them targeted; a random pick's result must come from what the
item really is, so that the random picks' compliance estimate can be checked against the world's true
compliance rate. An item is non-compliant when its bundle row records a violation or it is a planted,
uncaught scheme item (truth.json "cover" and "undervaluation" planted_declarations); every other item
is compliant (the simulator plants every fraud it makes, so this set is complete).

`inspect(world_dir, keys)` answers for item keys (`declaration_id/item_no`, or the store's
`source:declaration_id/item_no`); `compliance_rate(world_dir)` is the world's true rate over all items.
An inspection here finds what there is (a perfect officer); the record goes to the store as any
inspection does (`intake.record_inspection`, `POST /api/v1/inspections`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd


@lru_cache(maxsize=4)
def _truth(world_dir: str) -> tuple[frozenset[str], int]:
    d = Path(world_dir)
    dec = pd.read_csv(d / "declarations.csv", usecols=["declaration_id", "item_no", "inspection_result"],
                      dtype=str, keep_default_na=False)
    keys = dec["declaration_id"] + "/" + dec["item_no"]
    bad = set(keys[dec["inspection_result"] == "violation"])
    truth = json.loads((d / "truth.json").read_text(encoding="utf-8"))
    for part in ("cover", "undervaluation"):
        bad.update(truth.get(part, {}).get("planted_declarations", []))
    return frozenset(bad), len(dec)


def compliance_truth(dec: pd.DataFrame, cover: dict, under: dict) -> dict:
    """truth.json's "compliance" entry from the world's rows (before they are written): items, the
    non-compliant ones (the rule above) and the true compliance rate."""
    keys = dec["declaration_id"].astype(str) + "/" + dec["item_no"].astype(str)
    bad = set(keys[(dec["inspection_result"] == "violation").to_numpy()])
    bad.update(cover.get("planted_declarations", []), under.get("planted_declarations", []))
    n = len(dec)
    return {"items": n, "non_compliant": len(bad), "rate": round(1.0 - len(bad) / n, 6) if n else 1.0}


def _bundle_key(key: str) -> str:
    head, sep, tail = key.partition(":")
    return tail if sep and "/" in tail else key


def non_compliant(world_dir: Path) -> frozenset[str]:
    """The keys (`declaration_id/item_no`) of the world's non-compliant items."""
    return _truth(str(world_dir))[0]


def compliance_rate(world_dir: Path) -> float:
    """The world's true compliance rate: the share of its items that are compliant."""
    bad, n = _truth(str(world_dir))
    return 1.0 - len(bad) / n if n else 1.0


def inspect(world_dir: Path, keys: list[str]) -> dict[str, str]:
    """Key -> "violation" or "clear": what inspecting each item finds."""
    bad = non_compliant(world_dir)
    return {k: "violation" if _bundle_key(k) in bad else "clear" for k in keys}
