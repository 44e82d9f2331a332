"""Scoring benchmark: `tamga score` on N simulated declaration rows, and the networkx baseline.

    .venv/bin/python bench/bench_score.py --rows 1000000 --data /tmp/tamga-bench-score
    .venv/bin/python bench/bench_score.py --rows 40000 --data /tmp/tamga-bench-score-40k

1. prepare (once per --data folder, reused afterwards): a world from `ingest.simulate` and its
   ingest into an embedded Grafeo store, each in a child process;
2. score: `graph.pipeline.run.score` in a fresh child process (wall time, per-step timings, peak RSS
   of that process) -- the full pipeline, community detection included; with
   `--network-only` the declaration engineer's steps (cover items, assessment model, audit) are
   left out, so the network analytics can be timed alone;
3. baseline: in another child, the same frames, resolution and projection, then the whole-graph
   steps both ways in one process: CSR (scipy components, CSR personalised PageRank, networkit PLM)
   and networkx (connected_components, pagerank on the same weighted graph with the same ground,
   louvain_communities). Reports each time and the ratio; the whole-pipeline time with networkx is
   the measured pipeline time minus the CSR graph steps plus the networkx ones.
4. quality: precision@K, trap share, ring recovery and resolution F1 against truth.json.

With `--processes`: instead of 2-4, the whole `tamga score` command (a fresh CLI process: store
opened, scored, checkpointed, closed) once with the analytics in a child process on the ledger
(`--where child`) and once in the store's process (`--where in-process`), then the child again: wall time,
per-step timings and peak RSS (VmHWM) of each process, the hand-off's size and time, and the ratios.
With `--rescore` too, the daily case: a first run (model trained, every row written) and a rescore
of the same data (the stored model reused, only the changed rows written), wall and CPU time each.

Results go to `bench/results/score-<rows>-<time>.json` and a summary is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PY = sys.executable

from bench.processes import score_command  # noqa: E402 (after the repository is put first on the path)


def _child(code: str, *args: str) -> dict:
    """Run python code in a fresh process; it prints one JSON line last. Adds the child's peak RSS."""
    t = time.perf_counter()
    p = subprocess.run([PY, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"child failed:\n{p.stderr[-4000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["_wall_s"] = round(time.perf_counter() - t, 2)
    return out


PREPARE = r"""
import json, sys, time
from pathlib import Path
from ingest.simulate import generate_world
from ingest.load import ingest_bundle
from graph.settings import Settings
from graph.store import open_store
rows, seed, data = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter(); summary = generate_world(data / "bundle", seed=seed, declarations=rows)
gen = time.perf_counter() - t
s = Settings(env="test", data_dir=data / "data")
st = open_store(s); st.ensure_schema()
t = time.perf_counter(); rep = ingest_bundle(st, data / "bundle", settings=s, progress=False)
ing = time.perf_counter() - t
st.close()
print(json.dumps({"generate_s": round(gen, 2), "ingest_s": round(ing, 2), "status": rep.status,
                  "bundle": {k: v for k, v in summary.items() if k != "bytes"}}, default=str))
"""

SCORE = r"""
import json, resource, sys, time
from pathlib import Path
from graph.settings import Settings
from graph.store import open_store
from graph.pipeline.run import score
data, network_only = Path(sys.argv[1]), sys.argv[2] == "1"
s = Settings(env="test", data_dir=data / "data")
st = open_store(s)
t = time.perf_counter()
rep = score(st, s, progress=False, declarations=not network_only)
wall = time.perf_counter() - t
st.close()
peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps({"score_s": round(wall, 2), "peak_rss_mb": peak_mb,
                  "timings_s": rep["timings_s"], "entities": rep["entities"], "parties": rep["parties"],
                  "groups": rep["groups"], "communities": rep["communities"], "notes": rep["notes"],
                  "written": rep["written"]}, default=str))
"""

BASELINE = r"""
import json, sys, time
from pathlib import Path
import numpy as np, pandas as pd, networkx as nx
from graph.settings import Settings
from graph.store import open_store
from graph.store.frames import Frames
from graph.engine import csr
from graph.network import communities as comm
from graph.pipeline.run import analyse
from graph.network.groups import GroupSettings
from graph.network.risk import RiskSettings, propagation_graph
data, skip_nx = Path(sys.argv[1]), sys.argv[2] == "1"
s = Settings(env="test", data_dir=data / "data")
st = open_store(s)
frames = Frames.from_store(st)
st.close()
r = analyse(frames, declarations=False, communities=False)
proj, spec, seeds = r.projection, r.groups.specificity, r.seeds
rs, gs = RiskSettings(), GroupSettings()
pairs = r.groups.pairs
strong = pairs[pairs["weight"] >= gs.threshold]
g = propagation_graph(proj, spec, rs)
E = proj.n_entities
pers = np.zeros(g.n); pers[:E] = seeds
ground = np.zeros(g.n); ground[:E] = rs.ground
tg = comm.trading_graph(proj)
out = {"graph": {"entities": int(E), "link_nodes": int(proj.n_links), "propagation_nodes": int(g.n),
                 "propagation_edges": int(g.n_edges), "trading_edges": int(tg.n_edges),
                 "group_links": int(len(strong))}}
t = time.perf_counter()
lab = csr.induced_components(E, strong["a"].to_numpy(), strong["b"].to_numpy())
c1 = time.perf_counter() - t
t = time.perf_counter()
x = csr.personalized_pagerank(g, pers, alpha=rs.alpha, tol=1e-9, max_iter=100, ground=ground)
c2 = time.perf_counter() - t
t = time.perf_counter(); cl = comm.detect(tg); c3 = time.perf_counter() - t
out["csr"] = {"components_s": round(c1, 3), "ppr_s": round(c2, 3), "communities_s": round(c3, 3),
              "total_s": round(c1 + c2 + c3, 3), "modularity": round(comm.modularity(tg, cl), 4)}
if not skip_nx:
    t = time.perf_counter()
    G = nx.Graph()
    G.add_nodes_from(range(E))
    G.add_edges_from(zip(strong["a"].tolist(), strong["b"].tolist(), strict=True))
    ncc = list(nx.connected_components(G)); n1 = time.perf_counter() - t
    t = time.perf_counter()
    D = nx.DiGraph(); D.add_nodes_from(range(g.n + 1))
    coo = g.matrix.tocoo()
    D.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    # the ground: a dangling node back to the seeds
    D.add_weighted_edges_from((i, g.n, rs.ground) for i in range(E))
    pr = nx.pagerank(D, alpha=rs.alpha, personalization={i: float(pers[i]) for i in range(E) if pers[i] > 0},
                     weight="weight", tol=1e-9, max_iter=100)
    n2 = time.perf_counter() - t
    nx_ppr = np.array([pr[i] for i in range(g.n)])
    t = time.perf_counter(); ncl = comm.networkx_communities(tg); n3 = time.perf_counter() - t
    same_cc = sorted(map(len, ncc)) == sorted(np.bincount(lab).tolist())
    rel = nx_ppr / max(nx_ppr.sum(), 1e-300)
    out["networkx"] = {"components_s": round(n1, 3), "ppr_s": round(n2, 3), "communities_s": round(n3, 3),
                       "total_s": round(n1 + n2 + n3, 3), "modularity": round(comm.modularity(tg, ncl), 4),
                       "components_equal": bool(same_cc),
                       "ppr_max_abs_diff": float(np.abs(rel - x / x.sum()).max()) if x.sum() > 0 else 0.0}
    out["ratio_graph_steps"] = round(out["networkx"]["total_s"] / max(out["csr"]["total_s"], 1e-9), 1)
print(json.dumps(out))
"""

QUALITY = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, "tests/graph/pipeline")  # world_metrics lives with the pipeline tests
from graph.settings import Settings
from graph.store import open_store
from graph.store.frames import Frames
from graph.pipeline.run import analyse
from test_pipeline import world_metrics
data = Path(sys.argv[1])
s = Settings(env="test", data_dir=data / "data")
st = open_store(s)
src = st.execute("MATCH (p:Party) RETURN p.source AS s LIMIT 1")[0]["s"]
frames = Frames.from_store(st)
st.close()
r = analyse(frames, declarations=False, communities=False)
print(json.dumps(world_metrics(r, json.loads((data / "bundle" / "truth.json").read_text()), src)))
"""


def _command(data: Path, where: str, *extra: str) -> dict:
    """`tamga score --where WHERE` as a command of its own on the prepared store (bench.processes)."""
    return score_command(data / "data", where, *extra)


def processes(data: Path) -> dict:
    """child, in-process, child again: the first scoring of a store writes every result property anew
    (slower in Grafeo than overwriting), and the repeat shows the run-to-run spread; the ratios use
    the second child run."""
    first, here, child = _command(data, "child"), _command(data, "in-process"), _command(data, "child")
    same = {k: child[k] == here[k] for k in ("entities", "groups", "lanes")}
    return {"child_first": first, "in_process": here, "child": child, "same_figures": same,
            "ratio_command_s": round(child["command_s"] / here["command_s"], 2),
            "ratio_analytics_peak_rss": round(child["peak_rss_mb"]["analytics_process"]
                                              / here["peak_rss_mb"]["analytics_and_store_owner"], 2),
            "ratio_owner_peak_rss": round(child["peak_rss_mb"]["store_owner"]
                                          / here["peak_rss_mb"]["analytics_and_store_owner"], 2)}


def rescore(data: Path) -> dict:
    """The daily case: a first run (the kept hand-off dropped and `--retrain`: the model trained, every
    row written), then the same store scored again on the same data (the model reused, only changed
    rows written). Wall and CPU of each command (its CPU seconds include the analytics process it
    waited for; `child_cpu_s` is that process's own), and their ratios."""
    import shutil

    shutil.rmtree(data / "data" / "handoff", ignore_errors=True)
    first = _command(data, "child", "--retrain")
    again = _command(data, "child")
    return {"first": first, "rescore": again,
            "same_figures": {k: first[k] == again[k] for k in ("entities", "groups", "lanes")},
            "ratio_command_s": round(again["command_s"] / first["command_s"], 2),
            "ratio_cpu_s": round(again["command_cpu_s"] / first["command_cpu_s"], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", type=Path, default=None,
                    help="folder for the bundle and store (reused if present)")
    ap.add_argument("--network-only", action="store_true", help="leave out the declaration analytics")
    ap.add_argument("--both", action="store_true", help="time the network-only run and the full run")
    ap.add_argument("--skip-networkx", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--rescore", action="store_true",
                    help="a first run (model trained, every row written) and a "
                         "rescore of the same data (model reused, only changed rows written)")
    ap.add_argument("--processes", action="store_true",
                    help="the whole `tamga score` command: analytics in a child process vs in the "
                         "store's process")
    a = ap.parse_args()
    data = a.data or Path(f"/tmp/tamga-bench-score-{a.rows}")
    result: dict = {"benchmark": "score", "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "rows": a.rows,
                    "seed": a.seed, "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                                "loadavg_1m": os.getloadavg()[0]}}
    if not (data / "data" / "store.grafeo").exists():
        print(f"preparing {a.rows} rows in {data} ...", file=sys.stderr, flush=True)
        result["prepare"] = _child(PREPARE, str(a.rows), str(a.seed), str(data))
    if a.processes or a.rescore:
        if a.processes:
            print("tamga score --where child / --where in-process ...", file=sys.stderr, flush=True)
            result["processes"] = processes(data)
        if a.rescore:
            print("tamga score --retrain (first) / tamga score (rescore) ...", file=sys.stderr, flush=True)
            result["rescore"] = rescore(data)
        _save(result, a.rows)
        return
    runs = [True, False] if a.both else [a.network_only]
    for net_only in runs:
        name = "score_network_only" if net_only else "score_full"
        print(f"{name} ...", file=sys.stderr, flush=True)
        result[name] = _child(SCORE, str(data), "1" if net_only else "0")
    print("baseline ...", file=sys.stderr, flush=True)
    result["baseline"] = _child(BASELINE, str(data), "1" if a.skip_networkx else "0")
    b = result["baseline"]
    if "networkx" in b:
        for name in ("score_network_only", "score_full"):
            if name in result:
                t = result[name]["score_s"]
                result[name]["with_networkx_s"] = round(t - b["csr"]["total_s"] + b["networkx"]["total_s"], 2)
                result[name]["pipeline_ratio"] = round(result[name]["with_networkx_s"] / t, 2)
    if not a.skip_quality:
        print("quality ...", file=sys.stderr, flush=True)
        result["quality"] = _child(QUALITY, str(data))
    _save(result, a.rows)


def _save(result: dict, rows: int) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"score-{rows}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, indent=2, default=str))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
