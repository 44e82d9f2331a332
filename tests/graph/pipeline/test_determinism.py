"""`tamga score` on unchanged data gives the same results in another interpreter (issue 12).

Python salts str hashes per process, so any iteration over a set of strings feeding a choice or a
tie-break, an unseeded draw or a thread-count-dependent step would show as a difference between two
processes with different PYTHONHASHSEED. Each process here generates the same small randomised world
(seed 4, 3,000 rows), ingests it into a real Grafeo store on disk and scores it twice with the
communities on: one with the analytics in the child process on the ledger, the other in-process on
frames read from the store; the second run of each reuses the stored model and (in the child) writes
back by delta. Every export and every stored result per party and item must be equal, exactly, in
both processes and both runs.

Run as a script (`python test_determinism.py OUT WHERE`) it is one such process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PARTY_PROPS = ("key", "entity_id", "entity_confidence", "group_id", "group_risk", "community_id",
               "risk_score", "risk_rank", "risk_reasons", "phoenix_of", "phoenix_score")
ITEM_PROPS = ("key", "lane", "assessment_score", "assessment_reasons", "cover_score", "suspected_hs")


def _exports(store) -> dict:
    from graph.pipeline import results

    parties = store.execute("MATCH (p:Party) RETURN " + ", ".join(f"p.{c} AS {c}" for c in PARTY_PROPS)
                            + " ORDER BY key")
    items = store.execute("MATCH (d:Declaration) WHERE d.lane IS NOT NULL OR d.cover_score IS NOT NULL "
                          "RETURN " + ", ".join(f"d.{c} AS {c}" for c in ITEM_PROPS) + " ORDER BY key")
    return {"parties": parties, "items": items, "entities": results.entities(store),
            "groups": results.groups(store), "resolved": results.resolved_entities(store),
            "cover": results.cover_items(store), "unit_values": results.unit_value_anomalies(store),
            "hs_switches": results.hs_switches(store), "lanes": results.lane_counts(store),
            "audit": results.audit_targets(store, 1000)}


def _one_process(out: Path, where: str) -> None:
    """Generate, ingest, score twice; write both runs' exports as JSON."""
    from graph.pipeline.run import score
    from graph.settings import Settings
    from graph.store import open_store
    from ingest.load import ingest_bundle
    from ingest.simulate import generate_world

    generate_world(out / "bundle", seed=4, declarations=3000, scenario="randomised")
    s = Settings(env="test", data_dir=out / "data")
    store = open_store(s)
    try:
        store.ensure_schema()
        ingest_bundle(store, out / "bundle", settings=s, progress=False)
        runs = []
        for _ in range(2):
            rep = score(store, s, progress=False, where=where)
            runs.append({"process": rep["process"]["analytics"], "exports": _exports(store)})
    finally:
        store.close()
    (out / "runs.json").write_text(json.dumps(runs, default=str, sort_keys=True))


def _first_difference(a: dict, b: dict) -> str | None:
    for name in a:
        if len(a[name]) != len(b[name]):
            return f"{name}: {len(a[name])} rows vs {len(b[name])}"
        for i, (x, y) in enumerate(zip(a[name], b[name], strict=True)):
            if x != y:
                return f"{name} row {i}: {x} vs {y}"
    return None


def test_same_results_under_another_hash_seed_and_either_analytics_process(tmp_path):
    root = Path(__file__).resolve().parents[3]
    procs = []
    for hash_seed, where in (("1", "child"), ("2", "in-process")):
        out = tmp_path / where
        out.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
        procs.append((out, subprocess.Popen([sys.executable, __file__, str(out), where], env=env, cwd=root,
                                            stderr=subprocess.PIPE, text=True)))
    runs = []
    for out, p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        runs.append(json.loads((out / "runs.json").read_text()))
    (child_1, child_2), (here_1, here_2) = runs
    assert child_1["process"] == "child" and here_1["process"] == "in-process"
    ex = child_1["exports"]
    assert len(ex["entities"]) > 100 and ex["groups"] and ex["cover"] and ex["lanes"]
    assert any(p["community_id"] is not None for p in ex["parties"])
    for name, other in (("in-process, other hash seed", here_1), ("child, rescore", child_2),
                        ("in-process, rescore", here_2)):
        diff = _first_difference(ex, other["exports"])
        assert diff is None, (name, diff)


if __name__ == "__main__":
    _one_process(Path(sys.argv[1]), sys.argv[2])
