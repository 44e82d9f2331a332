"""Korea Customs evaluation: fit on 2020, tune on 2021 Q1, report 2021 Q2 once.

Usage: .venv/bin/python bench/eval_kcs.py [path/to/kcs]   (default ../shared/datasets/kcs)
Prints the Markdown table the README quotes and writes bench/results/kcs.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for bench.evaluations

from bench.evaluations.kcs import evaluate, table

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[1] / "shared" / "datasets" / "kcs"

if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    t0 = time.time()
    res = evaluate(folder)
    res["seconds"] = round(time.time() - t0, 1)
    out = HERE / "results" / "kcs.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    print(table(res))
    for name, run in res["runs"].items():
        print(f"{name}: rounds {run['rounds']}, top features {list(run['top_features'])[:6]}")
    print(f"chosen on Q1: {res['chosen']}; {res['seconds']} s; details in {out}")
