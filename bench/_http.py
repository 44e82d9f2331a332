"""What the HTTP benchmarks share (bench_api, bench_jobs, bench_intake): a store loaded (and scored)
for the server to serve, a free port, a server started in its own process and waited for until /readyz
answers, its CPU time, a timed call, and the latency figures."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[1]


def load_store(world: Path, data_dir: Path, *, score: bool = True, key_role: str | None = None) -> dict:
    """`world` ingested into a fresh embedded store in `data_dir`, then scored: the seconds of each
    ("ingest_s", "score_s") and, with `key_role`, an API key of that role ("key")."""
    from api.auth import create_key
    from graph.settings import Settings
    from graph.store import open_store
    from ingest.load import ingest_bundle

    out: dict = {}
    s = Settings(env="development", data_dir=data_dir)
    store = open_store(s)
    try:
        store.ensure_schema()
        t = time.perf_counter()
        ingest_bundle(store, world, settings=s, progress=False)
        out["ingest_s"] = round(time.perf_counter() - t, 1)
        if score:
            from graph.pipeline.run import score as run_score

            t = time.perf_counter()
            run_score(store, s, progress=False)
            out["score_s"] = round(time.perf_counter() - t, 1)
        if key_role:
            out["key"] = create_key(store, "bench", key_role, expires_days=1)
    finally:
        store.close()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cmd: list[str], env: dict[str, str], port: int, *, log: IO | None = None,
                 log_name: str | None = None) -> subprocess.Popen:
    """Run `cmd` (a server on 127.0.0.1:`port`) from the repository and wait, up to 5 minutes, until its
    /readyz answers 200; a server that exits first or never gets ready is an error (see `log_name`)."""
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT if log else None)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("the server exited" + (f"; see {log_name}" if log_name else ""))
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the server did not become ready")


def serve_app(data_dir: Path, port: int) -> subprocess.Popen:
    """The Tamga app over the store in `data_dir` under plain uvicorn, one worker, rate limit raised."""
    env = {**os.environ, "TAMGA_ENV": "development", "TAMGA_RATE_LIMIT_PER_MINUTE": str(10**9),
           "TAMGA_DATA_DIR": str(data_dir)}
    code = ("import uvicorn; from api.app import create_app; "
            f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning', workers=1)")
    return start_server([sys.executable, "-c", code], env, port)


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the server process has used: per-request CPU is robust to a busy
    machine, where wall-clock latency mostly measures waiting for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(send: Callable[[], httpx.Response], lat: list[float], errors: dict[int, int],
          expect: int = 200) -> httpx.Response:
    """One call: its latency appended to `lat`, a status other than `expect` counted in `errors`."""
    t = time.perf_counter()
    r = send()
    lat.append(time.perf_counter() - t)
    if r.status_code != expect:
        errors[r.status_code] = errors.get(r.status_code, 0) + 1
    return r


def latency_stats(lat: list[float], wall: float | None = None) -> dict:
    """n, p50, p99 and max in ms; with the wall-clock seconds they took, the throughput too."""
    lat = sorted(lat)
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
    out = {"n": len(lat), "p50_ms": round(q[49] * 1000, 2), "p99_ms": round(q[98] * 1000, 2),
           "max_ms": round(lat[-1] * 1000, 2)}
    if wall is not None:
        out["rps"] = round(len(lat) / wall, 1)
    return out
