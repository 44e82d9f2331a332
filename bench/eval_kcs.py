"""Korea Customs evaluation: fit on 2020, tune on 2021 Q1, report 2021 Q2 once.

Usage: .venv/bin/python bench/eval_kcs.py [--final] [--modes frozen,online] [--sets own,party,network] [path]
(default path ../shared/datasets/kcs, read in place). Without --final only train and the tuning
quarter are loaded (the test quarter stays untouched); --final also scores the test quarter and
counts that read in bench/results/kcs_test_reads.json (the count goes into the result JSON).
Prints the Markdown tables the README quotes and writes bench/results/kcs.json (kcs-tune.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for bench.evaluations

from bench.evaluations.kcs import evaluate, reliability_table, table

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[1] / "shared" / "datasets" / "kcs"
READS = HERE / "results" / "kcs_test_reads.json"
#: reads of the test quarter before the counter existed (development looked at it several times)
READS_BEFORE_COUNTER = "several, not counted (before 2026-12-03)"

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--final", action="store_true", help="score the test quarter (counted)")
    ap.add_argument("--modes", default="frozen,online")
    ap.add_argument("--sets", default="own,party,network")
    a = ap.parse_args()
    (HERE / "results").mkdir(exist_ok=True)
    t0 = time.time()
    reads = json.loads(READS.read_text()) if READS.exists() else {"reads": 0, "at": []}
    if a.final:
        reads["reads"] += 1
        reads["at"].append(datetime.now(UTC).isoformat(timespec="seconds"))
        READS.write_text(json.dumps(reads, indent=1))
    res = evaluate(a.path, modes=tuple(a.modes.split(",")), feature_sets=tuple(a.sets.split(",")),
                   final=a.final)
    res["test_reads"] = {"counted": reads["reads"], "before_counter": READS_BEFORE_COUNTER}
    res["seconds"] = round(time.time() - t0, 1)
    out = HERE / "results" / ("kcs.json" if a.final else "kcs-tune.json")
    out.write_text(json.dumps(res, indent=1))
    print(table(res, "valid"))
    if a.final:
        print()
        print(table(res, "test"))
    for name, run in res["runs"].items():
        print(f"\n{name}: rounds {run['rounds']}, tuning-quarter reliability (cross-fitted isotonic, "
              f"ECE {run['valid_ece']}, raw scores {run['valid_raw_ece']}):")
        print(reliability_table(run["valid_reliability"]))
        if a.final:
            print(f"test quarter (knots from the tuning quarter), ECE {run['test_ece']}")
    print(f"\nchosen on Q1: {res['chosen']}; test quarter reads counted: {reads['reads']}; "
          f"{res['seconds']} s; details in {out}")
