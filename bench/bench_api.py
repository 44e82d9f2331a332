"""Latency benchmark of the API (not a timed test): one uvicorn worker over the embedded store.

    .venv/bin/python bench/bench_api.py --declarations 1000000 --dir /tmp/tamga-bench
    .venv/bin/python bench/bench_api.py --dir /tmp/tamga-bench --reuse      # measure again, same store

Steps: simulate a world (`ingest.simulate.generate_world`), load it (`ingest.load.ingest_bundle`),
score it (`graph.pipeline.run.score`, skipped with --no-score: risk fields then read as null, same
cost per lookup, and the assessment is not measured), create an API key, then serve the app with
uvicorn (one worker, in a subprocess so the clients do not share its interpreter) and measure over
real HTTP with httpx:

- entity risk lookup  GET /api/v1/entities/{party}/risk
- capped 2-hop subgraph  GET /api/v1/entities/{party}/network?depth=2  (node cap from the settings)
- declaration assessment  POST /api/v1/assess  (rows of the world's declarations)
- search  GET /api/v1/entities/search?q=<a party's name>

each with 1 client (sequential) and with 32 concurrent clients (asyncio + httpx.AsyncClient), and
reports p50/p99 latency (ms) and throughput (requests/s). Every request is also audited (a write),
as in production. The rate limit is raised for the run (TAMGA_RATE_LIMIT_PER_MINUTE).

Measured 2026-11-22 on the 2-core machine, quiet (load average 0.9-1.6), 1,000,000 declaration
items / 64,140 parties, scored, 2,000 requests per row (400 for search); the clients run on the
same two cores:

    case            clients  p50 ms  p99 ms  req/s  server CPU ms/req
    bare ASGI floor    1      0.79    1.24    1189     0.20
    bare ASGI floor   32     13.2    59.6     1774     0.16
    risk lookup        1      1.57    2.89     601     0.88
    risk lookup       32     28.2    53.3     1039     0.63
    2-hop subgraph     1      5.42   22.7      141     8.4
    2-hop subgraph    32    155     368        192     6.3
    search             1      4.58    9.97     202     3.7
    search            32    111     243        221     4.2
    assessment         1      3.6    12.7      241     7.6 (first requests load the model)
    assessment        32     85.9   239        337     2.9

With one worker, 32 concurrent clients queue: latency there is about 32 / throughput (Little's
law). Even the bare ASGI app, which does no work at all, answers 32 clients at a p50 of 13 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _http  # noqa: E402 (after the repository is put first on the path)
from ingest.simulate.bodies import declaration_bodies  # noqa: E402


def build(dirpath: Path, declarations: int, seed: int, do_score: bool) -> dict:
    """World → ingest → score into `dirpath/data`; returns timings."""
    from ingest.simulate import generate_world

    out: dict = {}
    world = dirpath / "world"
    t = time.perf_counter()
    generate_world(world, seed=seed, declarations=declarations)
    out["world_s"] = round(time.perf_counter() - t, 1)
    out.update(_http.load_store(world, dirpath / "data", score=do_score))
    return out


def prepare(dirpath: Path, n_parties: int, seed: int) -> dict:
    """An admin key, a sample of party keys and names, and declaration rows to assess."""
    from api.auth import create_key
    from graph.settings import Settings
    from graph.store import open_store

    s = Settings(env="development", data_dir=dirpath / "data")
    store = open_store(s)
    try:
        key = create_key(store, "bench", "admin", expires_days=1)
        parties = store.execute("MATCH (p:Party) RETURN p.key AS key, p.name AS name")
        counts = store.execute("MATCH (d:Declaration) RETURN count(d) AS n")[0]["n"]
        has_model = (s.data_dir / "models").exists()
    finally:
        store.close()
    rnd = random.Random(seed)
    sample = rnd.sample(parties, min(n_parties, len(parties)))
    rows = declaration_bodies(dirpath / "world", 2000)
    return {"key": key, "parties": sample, "rows": rows, "declarations": counts,
            "parties_total": len(parties),
            "has_model": has_model}


#: The floor under every case: a bare ASGI app (no framework, no auth, no store, no audit) that
#: answers a constant 20-byte JSON, served by the same uvicorn, one worker, same clients. No server
#: in Python on this machine can answer faster than this; with 32 concurrent clients its latency is
#: about 32 / its throughput (Little's law), which bounds what any of the real routes can reach.
CEILING_APP = """
import uvicorn
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"risk_score": 0.5}'})
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", workers=1, lifespan="off")
"""


def serve(dirpath: Path | None, port: int) -> subprocess.Popen:
    """The Tamga API over the store in `dirpath` (or, with None, the bare ASGI ceiling app)."""
    if dirpath is not None:
        return _http.serve_app(dirpath / "data", port)
    env = {**os.environ, "TAMGA_ENV": "development", "TAMGA_RATE_LIMIT_PER_MINUTE": str(10**9)}
    return _http.start_server([sys.executable, "-c", CEILING_APP.replace("PORT", str(port))], env, port)


def _request(case: str, i: int, data: dict) -> tuple[str, str, dict]:
    parties, rows = data["parties"], data["rows"]
    p = parties[i % len(parties)]
    if case == "risk":
        return "GET", f"/api/v1/entities/{p['key']}/risk", {}
    if case == "subgraph_2hop":
        return "GET", f"/api/v1/entities/{p['key']}/network", {"params": {"depth": 2}}
    if case == "search":
        return "GET", "/api/v1/entities/search", {"params": {"q": (p["name"] or "x")[:40], "limit": 10}}
    if case == "assess":
        return "POST", "/api/v1/assess", {"json": rows[i % len(rows)]}
    if case == "ceiling":
        return "GET", "/ceiling", {}
    raise ValueError(case)


async def _client_loop(base: str, key: str, case: str, data: dict, indices: list[int], tasks: int) -> dict:
    lat: list[float] = []
    errors: dict[int, int] = {}
    it = iter(indices)
    limits = httpx.Limits(max_connections=tasks, max_keepalive_connections=tasks)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, limits=limits, timeout=60) as c:
        for i in indices[:5]:  # warm-up: connections, caches
            m, u, kw = _request(case, i, data)
            await c.request(m, u, **kw)

        async def worker() -> None:
            for i in it:
                m, u, kw = _request(case, i, data)
                t = time.perf_counter()
                r = await c.request(m, u, **kw)
                lat.append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors[r.status_code] = errors.get(r.status_code, 0) + 1

        start = time.time()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        end = time.time()
    return {"lat": lat, "errors": errors, "start": start, "end": end}


def _client_process(args: tuple) -> dict:
    return asyncio.run(_client_loop(*args))


def _run(base: str, key: str, case: str, data: dict, n: int, clients: int) -> dict:
    """n requests over `clients` concurrent connections, spread over up to 4 client processes so the
    client's own interpreter is not the bottleneck; per-request latency and overall throughput."""
    from concurrent.futures import ProcessPoolExecutor

    procs = min(4, clients)
    per = [list(range(j, n, procs)) for j in range(procs)]
    tasks = [clients // procs + (1 if j < clients % procs else 0) for j in range(procs)]
    if procs == 1:
        parts = [_client_process((base, key, case, data, per[0], tasks[0]))]
    else:
        with ProcessPoolExecutor(procs) as ex:
            parts = list(ex.map(_client_process, [(base, key, case, data, per[j], tasks[j])
                                                  for j in range(procs)]))
    lat = [x for p in parts for x in p["lat"]]
    wall = max(p["end"] for p in parts) - min(p["start"] for p in parts)
    out = _http.latency_stats(lat, wall)
    errors: dict[int, int] = {}
    for p in parts:
        for k, v in p["errors"].items():
            errors[k] = errors.get(k, 0) + v
    if errors:
        out["errors"] = errors
    return out


def measure(proc: subprocess.Popen, base: str, key: str, case: str, data: dict, n: int, clients: int) -> dict:
    cpu0 = _http.server_cpu_s(proc.pid)
    r = _run(base, key, case, data, n, clients)
    r["server_cpu_ms_per_request"] = round((_http.server_cpu_s(proc.pid) - cpu0) / n * 1000, 3)
    print(f"{case:14s} clients={clients:2d} {json.dumps(r)}", flush=True)
    return r


def ceiling(n: int) -> dict:
    """The bare ASGI app with 1 and 32 clients (see CEILING_APP)."""
    port = _http.free_port()
    proc = serve(None, port)
    try:
        return {f"ceiling@{c}": measure(proc, f"http://127.0.0.1:{port}", "-", "ceiling",
                                        {"parties": [{}], "rows": []},
                                        n, c) for c in (1, 32)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--declarations", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/tamga-bench"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--reuse", action="store_true", help="measure an existing store in --dir")
    ap.add_argument("--no-score", dest="score", action="store_false")
    ap.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    ap.add_argument("--ceiling-only", action="store_true",
                    help="measure only the bare ASGI ceiling (no store)")
    a = ap.parse_args()

    report: dict = {"declarations_requested": a.declarations, "cpus": os.cpu_count(),
                    "load_avg_at_start": os.getloadavg()}
    report["ceiling"] = ceiling(a.requests)
    if a.ceiling_only:
        print(json.dumps(report, indent=2))
        return 0
    if not a.reuse:
        report["build"] = build(a.dir, a.declarations, a.seed, a.score)
        print("built:", report["build"], flush=True)
    prep = prepare(a.dir, 2000, a.seed)
    report.update(declarations=prep["declarations"], parties=prep["parties_total"])
    port = _http.free_port()
    proc = serve(a.dir, port)
    base = f"http://127.0.0.1:{port}"
    data = {"parties": prep["parties"], "rows": prep["rows"]}
    cases = ["risk", "subgraph_2hop", "search"] + (["assess"] if prep["has_model"] else [])
    try:
        results: dict = {}
        for case in cases:
            n = a.requests if case != "search" else max(200, a.requests // 5)
            for clients in (1, 32):
                results[f"{case}@{clients}"] = measure(proc, base, prep["key"], case, data, n, clients)
        report["results"] = results
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    report["load_avg_at_end"] = os.getloadavg()
    if a.out:
        a.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
