"""Two commits, the same bundle, the same machine, interleaved: is this commit slower than that one?

    .venv/bin/python bench/bench_commits.py --base 0e34028 --bundle BUNDLE_DIR --work /tmp/tamga-cmp

For each commit (a `git worktree` of the base, this checkout for the head), the whole `tamga ingest
BUNDLE` command into a fresh data dir, then the whole `tamga score` command twice, each a fresh
process. Runs alternate base, head, base, head so that a change in the machine's load hits both
sides alike. Reported per command: wall seconds, CPU seconds (user + system of the command and its
children, which a busy machine inflates far less than wall time), peak RSS of the biggest process,
and the ratio head / base. Why not a timed test: times on a shared 2-core machine vary with the
load; a ratio measured in one run does not.

Results go to `bench/results/commits-<time>.json`; a markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PY = sys.executable


def run(code_dir: Path, data: Path, *args: str) -> dict:
    """One `tamga` command of the checkout `code_dir` on `data`: wall, CPU and peak RSS."""
    env = {**os.environ, "TAMGA_DATA_DIR": str(data), "TAMGA_ENV": "test", "PYTHONPATH": str(code_dir)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([PY, "-c", "from api.cli import main; main()", *args], cwd=code_dir, env=env,
                       capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{code_dir}: tamga {' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            # ru_maxrss of the children is the biggest reaped descendant so far: monotone over the run,
            # so only a rise is this command's own
            "peak_rss_mb_max_so_far": round(after.ru_maxrss / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="the commit to compare against")
    ap.add_argument("--head", default=None, help="the commit to measure (default: this checkout as it is)")
    ap.add_argument("--bundle", type=Path, required=True, help="a bundle both commits can ingest")
    ap.add_argument("--work", type=Path, required=True, help="folder for the worktree and the data dirs")
    a = ap.parse_args()
    base_dir = a.work / "base-tree"
    if not base_dir.exists():
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base_dir), a.base], cwd=ROOT,
                       check=True)
    head_dir = ROOT
    if a.head:
        head_dir = a.work / "head-tree"
        if not head_dir.exists():
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(head_dir), a.head], cwd=ROOT,
                           check=True)
    sides = {"base": base_dir, "head": head_dir}
    for side in sides:
        shutil.rmtree(a.work / side, ignore_errors=True)
    out: dict = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "base": a.base,
                 "head": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=head_dir,
                                        capture_output=True, text=True, check=True).stdout.strip(),
                 "bundle": str(a.bundle), "loadavg_start": os.getloadavg()[0], "runs": {}}
    steps = [("ingest", ("ingest", str(a.bundle))), ("score", ("score",)), ("rescore", ("score",))]
    for name, args in steps:
        for side, code in sides.items():
            print(f"{side}: tamga {' '.join(args)} ...", flush=True)
            r = run(code, a.work / side, *args)
            r["loadavg_1m"] = round(os.getloadavg()[0], 1)
            out["runs"].setdefault(name, {})[side] = r
            print(f"  {r}", flush=True)
    lines = ["| command | base wall / CPU s | head wall / CPU s | head / base (wall, CPU) |",
             "|---|---|---|---|"]
    for name, r in out["runs"].items():
        b, h = r["base"], r["head"]
        r["ratio_wall"] = round(h["wall_s"] / b["wall_s"], 2)
        r["ratio_cpu"] = round(h["cpu_s"] / b["cpu_s"], 2)
        lines.append(f"| {name} | {b['wall_s']} / {b['cpu_s']} | {h['wall_s']} / {h['cpu_s']} | "
                     f"{r['ratio_wall']}, {r['ratio_cpu']} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"commits-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print("\n".join(lines))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
