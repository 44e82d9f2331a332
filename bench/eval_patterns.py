"""AMLSim cycle / fan-in detectors and KEK ownership loops / over-subscription.

Usage: .venv/bin/python bench/eval_patterns.py [datasets folder]   (default ../shared/datasets)
Prints the tables the README quotes and writes bench/results/patterns.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for bench.evaluations

from bench.evaluations.patterns import evaluate_amlsim, evaluate_kek

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "shared" / "datasets"
    res = {"amlsim": {s: evaluate_amlsim(root / "amlsim" / s) for s in ("20K_cycle200", "20K_fanin200")},
           "kek": evaluate_kek(root / "kek")}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "patterns.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    print("| AMLSim sample | fraud accounts | detector | flagged | true | precision | recall | in bursts "
          "(reachable) |")
    print("|---|---|---|---|---|---|---|---|")
    for s, r in res["amlsim"].items():
        for det in ("cycle", "fan_in", "either"):
            x = r[det]
            print(f"| {s} | {r['fraud_accounts']} | {det} | {x['flagged']} | {x['true_positives']} | "
                  f"{x['precision']:.3f} | "
                  f"{x['recall']:.3f} | {r['burst_accounts_fraud_share']['recall']:.3f} |")
    k = res["kek"]
    print(f"\nKEK: {k['companies_in_shares']} companies, "
          f"{k['weak_groups']} groups (largest {k['largest_group']}); "
          f"loops of sizes {k['loop_sizes']}")
    for lp in k["loops"]:
        print("  loop:", " -> ".join(f"{c['name']} ({c['id']})" for c in lp["companies"]))
    for o in k["oversubscribed"]:
        print(f"  over-subscribed: {o['name']} ({o['id']}): {o['total_share']} % over {o['holders']} holders")
