"""Why cover items are missed or falsely flagged on one randomised world (issue 12), store-free.

    .venv/bin/python bench/diagnose_cover.py 10 4      # tuning seeds only (never the report seeds)

Generates the world (`generate_world(..., scenario="randomised")`, size drawn per seed as in the
sweep) in a temporary folder, flags it the way `bench/eval_cover.py` does (no store, no network
risk: the sweep's figures can differ by an item or two) and sorts the planted covers outside the
top K by failure mode:

- examined: not scored, its declaration carries an offence that records the goods found (often a
  sibling item under the same code was the one caught; offences name declarations, not items);
- not scored: no taught pair and no candidate reached it;
- taught, below K / candidate, below K (and whether the item's own pair was taught).

The false flags in the top K are listed with their kind and strongest reasons.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for bench.evaluations

from bench.evaluations.cover import frames_from_bundle
from bench.evaluations.sweep import world_rows
from graph.declarations.cover import examined_declarations, flag_cover_items, learn_cover_pairs
from graph.declarations.goods import hs_prefix
from ingest.simulate import generate_world


def diagnose(folder: Path) -> dict:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    frames = frames_from_bundle(folder)
    pairs = learn_cover_pairs(frames)
    flags = flag_cover_items(frames, pairs, min_score=0.0)
    planted = {f"sim:{k}" for k in truth["cover"]["planted_declarations"]}
    k = len(planted)
    top = flags.head(k)
    d = frames.declarations.set_index("key")
    fl = flags.set_index("key")
    learnt = set(zip(pairs["declared_hs"], pairs["actual_hs"], strict=True))
    true_pairs = {tuple(p) for p in truth["cover"]["pairs"]}
    examined = examined_declarations(frames.offences)
    modes: Counter = Counter()
    for key in sorted(planted - set(top["key"])):
        code = hs_prefix(d.loc[[key], "hs_code"], 6).iloc[0]
        taught = any((code, a) in learnt for c, a in true_pairs if c == code)
        if key not in fl.index:
            modes["examined" if d.at[key, "declaration_key"] in examined else "not scored"] += 1
        else:
            why = "a pair of its code taught" if taught else "untaught"
            modes[f"{fl.at[key, 'kind']}, below K ({why})"] += 1
    false = top[~top["key"].isin(planted)]
    hits = int(flags[flags["score"] >= 0.5]["key"].isin(planted).sum())
    return {"seed": truth.get("seed"), "k": k,
            "precision_at_k": round(float(top["key"].isin(planted).mean()), 3) if k else None,
            "recall_score_ge_0.5": round(hits / k, 3) if k else None,
            "missed_by_mode": dict(modes),
            "false_in_top_k": [{"key": r.key, "pair": f"{r.declared_hs}->{r.suspected_hs}", "kind": r.kind,
                                "score": r.score,
                                "reasons": [(x["feature"], x["llr"]) for x in r.reasons[:4]]}
                               for r in false.itertuples()]}


if __name__ == "__main__":
    for seed in (int(x) for x in sys.argv[1:]):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "bundle"
            generate_world(out, seed=seed, declarations=world_rows(seed), scenario="randomised")
            print(json.dumps(diagnose(out), indent=1, default=str))
