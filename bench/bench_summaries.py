"""The risk-areas and effectiveness views on a scored store: their first call and a repeat call
(not a timed test).

    .venv/bin/python bench/bench_summaries.py --declarations 100000 --dir /tmp/tamga-sum
    .venv/bin/python bench/bench_summaries.py --dir /tmp/tamga-sum --reuse   # same store again
    .venv/bin/python bench/bench_summaries.py --dir /tmp/tamga-sum --reuse --dump out.json

Steps: simulate a world, load it and score it (`bench._http.load_store`), record inspection results
on a seeded sample of items (random picks and others, as `POST /inspections` does), then, in a
fresh process's view of the store: `risk_areas.overview` and `effectiveness.effectiveness`, each
called twice, timed. `--dump` writes both answers as JSON (to compare two commits on one store).
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _http  # noqa: E402 (after the repository is put first on the path)


def _inspect(store, n: int, seed: int) -> int:
    """Inspection results on `n` seeded items, a third each among the random picks, the other flagged
    items and all items (a decision each, the item's result set)."""
    def keys(where: str) -> list[str]:
        return sorted(r["key"] for r in store.execute(f"MATCH (d:Declaration) {where} RETURN d.key AS key"))

    rng = random.Random(seed)
    picked: list[str] = []
    for pool in (keys("WHERE d.selected_at_random = true"), keys("WHERE d.lane IS NOT NULL"), keys("")):
        pool = [k for k in pool if k not in set(picked)]
        picked += rng.sample(pool, min(n // 3, len(pool)))
    for i, k in enumerate(picked):
        value = "violation" if rng.random() < 0.2 else "clear"
        store.run("api.decision_create", key=f"bench-insp-{i}", kind="inspection", subject=k, object=None,
                  value=value, note=None, user="bench", at="2026-01-01T00:00:00Z", status="active")
        store.run("api.inspection_by_item", subject=k, value=value)
    return len(picked)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--declarations", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--reuse", action="store_true", help="measure the store already in --dir")
    ap.add_argument("--inspections", type=int, default=500)
    ap.add_argument("--dump", type=Path)
    ap.add_argument("--starter-profiles", action="store_true",
                    help="load the starter risk profiles and score again (so that profiles fire)")
    a = ap.parse_args()
    from graph.settings import Settings
    from graph.store import open_store

    data_dir = a.dir / "data"
    out: dict = {}
    if not a.reuse:
        from ingest.simulate import generate_world

        generate_world(a.dir / "world", seed=7, declarations=a.declarations)
        out["load"] = _http.load_store(a.dir / "world", data_dir)
    s = Settings(env="development", data_dir=data_dir)
    store = open_store(s)
    try:
        if not a.reuse and a.starter_profiles:
            from graph.declarations.profiles import profiles_from_toml
            from graph.pipeline.profile_store import save
            from graph.pipeline.run import score

            starter = ROOT / "graph" / "declarations" / "profiles_starter.toml"
            for p in profiles_from_toml(starter.read_text(encoding="utf-8")):
                save(store, p.as_dict(), "bench")
            t = time.perf_counter()
            score(store, s, progress=False, communities=False)
            out["score_with_profiles_s"] = round(time.perf_counter() - t, 1)
        if not a.reuse:
            out["inspections"] = _inspect(store, a.inspections, seed=3)
            store.checkpoint()
        from graph.pipeline import effectiveness, risk_areas

        # an older commit's overview takes the store only (this bench compares commits on one store)
        ra_settings = (s,) if "settings" in inspect.signature(risk_areas.overview).parameters else ()
        views = {}
        for name, fn in (("risk_areas", lambda: risk_areas.overview(store, *ra_settings)),
                         ("effectiveness", lambda: effectiveness.effectiveness(store, s))):
            times = []
            for _ in range(2):
                t = time.perf_counter()
                views[name] = fn()
                times.append(round(time.perf_counter() - t, 3))
            out[name] = {"first_s": times[0], "repeat_s": times[1]}
        if a.dump:
            a.dump.write_text(json.dumps(views, indent=1, sort_keys=True, default=str), encoding="utf-8")
    finally:
        store.close()
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
