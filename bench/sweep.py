"""Randomised sweep (issue 12): the worst and the median world per measure, on seeds never tuned on.

    .venv/bin/python bench/sweep.py                       # the 30 report seeds 1001..1030, 2 workers
    .venv/bin/python bench/sweep.py --set tune            # the tuning seeds 1..20 (tune on these only)
    .venv/bin/python bench/sweep.py --limit 3 --workers 1 # a quick look
    .venv/bin/python bench/sweep.py --scenario fixed --seeds 7 --rows 40000   # the default world

Each world is generated with `generate_world(..., scenario="randomised")` (its size drawn per seed,
6k-40k rows), ingested into a fresh Grafeo store in a temporary folder, scored with `tamga score`'s
pipeline (communities left out: no measure reads them) and measured on its exports
(`bench.evaluations.sweep`). Every world runs in a child process of its own. Results go to
bench/results/sweep-<set>-<time>.json and .md (the Markdown worst/median table, also printed).
The TUNE and REPORT seeds are disjoint: tune detectors on `--set tune`, quote `--set report`.
A seed's world depends on the goods list the simulator finds (`ingest.simulate.goods.catalogue`:
the HS nomenclature in `../shared/datasets` beside the code, or `$TAMGA_DATASETS`): a copy of the
code elsewhere would draw other worlds for the same seeds, so the sweep stops when the file is
missing (`--builtin-goods` to sweep the built-in list's worlds on purpose) and records the list used.
TUNE was 1..10 until the family-firm and captured-broker work (issue 12), which tuned on 1..20.

Measured 2026-12-03 after the family-firm round (`--set report --workers 2`, 535 s for the 30
report worlds, 702,200 rows, load 2-5; bench/results/sweep-report-randomised-*.md):

| measure (goal) | worst (seed) | median (seed) | worlds meeting the goal |
|---|---|---|---|
| entity precision@K (>= 0.90) | 0.969 (1005) | 1.000 (1017) | 30/30 |
| traps in the top K (<= 0.02) | 0.000 (1030) | 0.000 (1016) | 30/30 |
| rings recovered (>= 0.80) | 0.667 (1012) | 1.000 (1018) | 29/30 |
| cover precision@K (>= 0.90) | 0.792 (1010) | 0.982 (1018) | 28/30 |
| cover recall (>= 0.90) | 0.868 (1010) | 1.000 (1029) | 28/30 |
| resolution pairwise F1 (>= 0.95) | 0.971 (1010) | 1.000 (1017) | 30/30 |

After the cover rework (before the family-firm round) entity precision was 0.833 / 1.000 and traps
0.167 / 0.000 (26 and 21 of 30 worlds), cover precision 0.811 (1010).
The first sweep (before issue 12's rework) had entity precision 0.492 / 0.853 (worst / median),
traps 0.508 / 0.121, cover precision 0.091 / 0.872 and recall 0.091 / 0.938; the README keeps the
history.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.evaluations.sweep import markdown, run_world, summarise  # noqa: E402 (needs ROOT on sys.path)
from ingest.simulate.goods import catalogue  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TUNE = list(range(1, 21))  # 1-20: every randomised world plants family firms (`families` >= 1)
REPORT = list(range(1001, 1031))


def _seeds(text: str) -> list[int]:
    """"1-10,15" -> [1..10, 15]."""
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=("tune", "report"), default="report")
    ap.add_argument("--seeds", type=_seeds, default=None, help="explicit seeds, e.g. 1001-1005,1010")
    ap.add_argument("--scenario", choices=("randomised", "fixed"), default="randomised")
    ap.add_argument("--rows", type=int, default=None, help="rows per world (default: drawn per seed, 6k-40k)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="only the first N seeds")
    ap.add_argument("--builtin-goods", action="store_true",
                    help="sweep the built-in goods list's worlds when the HS nomenclature is missing")
    a = ap.parse_args()
    goods = catalogue()
    if goods["source"] == "built-in" and not a.builtin_goods:
        print("the HS nomenclature is not found (../shared/datasets/hs/harmonized-system.csv beside the "
              "code, or $TAMGA_DATASETS): these worlds would not be the ones other sweeps measured for the "
              "same seeds; set TAMGA_DATASETS, or pass --builtin-goods", file=sys.stderr)
        raise SystemExit(2)
    seeds = a.seeds or (TUNE if a.set == "tune" else REPORT)
    if a.set == "report" and a.seeds is None and set(seeds) & set(TUNE):
        raise SystemExit("report seeds overlap the tuning seeds")
    seeds = seeds[:a.limit] if a.limit else seeds
    label = f"{a.set if a.seeds is None else 'seeds'}-{a.scenario}"
    t0 = time.perf_counter()
    worlds, failed = [], []
    with ProcessPoolExecutor(max_workers=a.workers, mp_context=mp.get_context("spawn"),
                             max_tasks_per_child=1) as pool:
        futs = {pool.submit(run_world, s, a.rows, a.scenario): s for s in seeds}
        for f in as_completed(futs):
            s = futs[f]
            try:
                w = f.result()
            except Exception as e:  # noqa: BLE001 - one broken world is reported, the sweep goes on
                failed.append({"seed": s, "error": f"{type(e).__name__}: {e}"})
                print(f"seed {s}: FAILED {e}", file=sys.stderr, flush=True)
                continue
            worlds.append(w)
            print(f"seed {s} ({w['rows']} rows): P@K {w['entity_precision_at_k']:.3f} "
                  f"traps {w['trap_share_top_k']:.3f} "
                  f"rings {w['rings_recovered']:.3f} cover P@K {w['cover_precision_at_k']:.3f} "
                  f"R {w['cover_recall']:.3f} F1 {w['resolution_f1']:.3f}  {w['seconds']}",
                  file=sys.stderr, flush=True)
    worlds.sort(key=lambda w: w["seed"])
    summary = summarise(worlds)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    title = (f"Sweep {label}: {len(worlds)} worlds (seeds {seeds[0]}..{seeds[-1]}), "
             f"{sum(w['rows'] for w in worlds)} rows in all, {time.perf_counter() - t0:.0f} s, "
             f"goods {goods['source']} {goods.get('sha256', '')}".rstrip())
    md = markdown(summary, title)
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"sweep": label, "at": stamp, "seeds": seeds, "workers": a.workers, "goods": goods,
           "loadavg_1m": os.getloadavg()[0], "command": " ".join(sys.argv), "summary": summary,
           "worlds": worlds, "failed": failed}
    (RESULTS / f"sweep-{label}-{stamp}.json").write_text(json.dumps(doc, indent=1))
    (RESULTS / f"sweep-{label}-{stamp}.md").write_text(md)
    print(md)
    if failed:
        print(f"{len(failed)} worlds failed: {failed}", file=sys.stderr)


if __name__ == "__main__":
    main()
