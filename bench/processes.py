"""Measured child processes for the benchmarks: a command's wall time and its own peak RSS, and the
whole `tamga ingest` / `tamga score` commands as a user runs them (a fresh process each).

Peak RSS comes from `os.wait4` on that one process (its `ru_maxrss`), not `RUSAGE_CHILDREN`
(the maximum over every child waited for so far). Processes the command starts itself (the
ingest's reader process, the analytics child of `tamga score`) report their own peaks in the
command's report, quoted beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


@dataclass
class Measured:
    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    cpu_s: float = 0.0  # user + system seconds of the process itself (steadier than wall time when shared)


def run(args: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run a process to its end; its wall time and its own peak RSS (VmHWM, via wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        p = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err,
                             env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(p.returncode, round(seconds, 2), round(usage.ru_maxrss / 1024, 1), out.read(),
                        err.read(), round(usage.ru_utime + usage.ru_stime, 2))


def python(code: str, *args: str) -> Measured:
    return run([PY, "-c", code, *args])


def tamga(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Measured:
    """`tamga ARGS` on a data folder, as its own process."""
    m = run([PY, "-c", "from api.cli import main; main()", *args],
            env={"TAMGA_DATA_DIR": str(data_dir), "TAMGA_ENV": "test", **(env or {})})
    if m.returncode != 0:
        raise RuntimeError(f"tamga {' '.join(args)} failed ({m.returncode}):\n{m.stderr[-4000:]}")
    return m


def ingest_command(bundle: Path, data_dir: Path, *, ledger: bool = True,
                   batch_size: int | None = None) -> dict:
    """`tamga ingest BUNDLE --no-progress` into a fresh data folder: the whole command (start-up, the
    store's schema, the load, the final checkpoint, the report) with the ledger beside the graph, or
    with `TAMGA_LEDGER_WRITES=false` the graph alone. Figures from the command and its report."""
    env = {"TAMGA_LEDGER_WRITES": "true" if ledger else "false"}
    if batch_size:
        env["TAMGA_BATCH_SIZE"] = str(batch_size)
    m = tamga(data_dir, "ingest", str(bundle), "--no-progress", env=env)
    reports = sorted((data_dir / "reports").glob("ingest-*.json"), key=lambda p: p.stat().st_mtime)
    rep = json.loads(reports[-1].read_text())
    decl = rep["files"]["declarations"]["read"]
    rows = sum(f["read"] for f in rep["files"].values())
    return {"path": "ledger+graph" if ledger else "graph only", "status": rep["status"],
            "command_s": m.seconds, "command_cpu_s": m.cpu_s, "ingest_s": rep["duration_s"],
            "declaration_rows": decl, "rows": rows,
            "declaration_rows_per_s_command": round(decl / m.seconds, 1),
            "rows_per_s_command": round(rows / m.seconds, 1),
            "declaration_rows_per_s_phase": rep["declaration_rows_per_s"],
            "peak_rss_mb": m.peak_rss_mb, "reader_process_peak_rss_mb": rep["reader_peak_rss_mb"],
            "phase_seconds": rep["phase_seconds"], "ledger_seconds": rep.get("ledger_seconds", {}),
            "startup_and_end_s": round(m.seconds - rep["duration_s"], 2)}


def score_command(data_dir: Path, where: str = "child", *extra: str) -> dict:
    """`tamga score --where WHERE [EXTRA]` as a command of its own on an ingested data folder: wall
    time, the command's own peak RSS (the store owner) and, for the child, the analytics process's;
    the model (reused or trained) and the write-back (delta or full)."""
    m = tamga(data_dir, "score", "--where", where, *extra)
    rep = json.loads(m.stdout)
    proc = rep["process"]
    out = {"command_s": m.seconds, "command_cpu_s": m.cpu_s, "score_s": rep["seconds_with_checkpoint"],
           "command_peak_rss_mb": m.peak_rss_mb,
           "timings_s": rep["timings_s"], "entities": rep["entities"], "groups": rep["groups"],
           "lanes": rep.get("lanes"), "notes": rep["notes"], "model": rep.get("model"),
           "write_back": rep["written"].get("write_back"),
           "rows_written": sum(v for k, v in rep["written"].items() if isinstance(v, int))}
    if proc["analytics"] == "child":
        out["peak_rss_mb"] = {"analytics_process": proc["child"]["peak_rss_mb"],
                              "store_owner": proc["owner"]["peak_rss_mb"]}
        out["child_s"], out["handoff"] = proc["child"]["seconds"], proc["handoff"]
        # wait4's CPU seconds hold the children the command waited for: the analytics process too
        out["child_cpu_s"] = proc["child"].get("cpu_s")
        out["owner_cpu_s"] = round(m.cpu_s - (out["child_cpu_s"] or 0.0), 2)
    else:
        out["peak_rss_mb"] = {"analytics_and_store_owner": rep["peak_rss_mb"]}
    return out
