"""Cover items on simulated worlds: precision and recall at K = planted uncaught cover items.

Usage: .venv/bin/python bench/eval_cover.py [seed:rows ...]   (default 7:3000 11:20000 23:40000 101:40000)
Generates each world in a temporary folder (never in the repository), prints a Markdown table and
writes bench/results/cover.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for bench.evaluations

from bench.evaluations.cover import assessment_on_world, evaluate_world
from ingest.simulate import generate_world

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    specs = sys.argv[1:] or ["7:3000", "11:20000", "23:40000", "101:40000"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            seed, n = (int(x) for x in spec.split(":"))
            out = Path(tmp) / f"w{seed}_{n}"
            generate_world(out, seed=seed, declarations=n)
            rows.append(evaluate_world(out))
            last = out
        # the assessment's feature sets on the last (largest) world, which has rings
        ass = assessment_on_world(last)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "cover.json").write_text(json.dumps({"cover": rows, "assessment": ass}, indent=1))
    print("| seed | rows | planted K | caught | precision@K | flagged (score>=0.5) | precision | recall | "
          "suspected goods right | pairs learnt (true/planted) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['seed']} | {r['declarations']} | {r['planted']} | {r['caught']} | "
              f"{r['precision_at_k']:.3f} | {r['flagged_score_ge_0.5']} | "
              f"{r['precision_score_ge_0.5']:.3f} | {r['recall_score_ge_0.5']:.3f} | "
              f"{r['suspected_goods_right']:.3f} | {r['pairs_learnt_true']}/{r['pairs_planted']} |")
    print(f"\nAssessment on world {specs[-1]} (fit before "
          f"{ass['cut']}, {ass['later_labelled']} later labelled items, "
          f"{ass['later_hits']} hits):")
    print("| features | AUC | precision@5% | recall@5% |\n|---|---|---|---|")
    for fs in ("own", "party", "network", "auto"):
        r = ass[fs]
        name = f"auto (chose {r['chosen']})" if fs == "auto" else fs
        print(f"| {name} | {r['auc']:.3f} | {r['precision@5%']:.3f} | {r['recall@5%']:.3f} |")
