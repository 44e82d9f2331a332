"""Growth benchmark: how time and peak RSS grow with the number of declaration rows (issue 10).

    .venv/bin/python bench/bench_growth.py                              # 100k, 300k, 1M, 3M
    .venv/bin/python bench/bench_growth.py --sizes 20000,50000,100000   # a quick check

Per size, each step in a fresh process of its own (bench.processes: wall time, peak RSS by wait4):
1. world: `ingest.simulate.generate_world` (seed 7 unless --seed) in a child;
2. ingest: the whole `tamga ingest` command into a fresh data folder, ledger and graph together; the
   report splits it into the ledger's seconds on the command's path (building and appending its
   rows, the final flush), the ledger writer thread's (beside the load) and the rest (the graph:
   parsing, checks, Grafeo writes, checkpoint);
3. score: the whole `tamga score --where child` command (analytics in a child process on the
   ledger, write-back by the store owner): the command's time and peak RSS, the analytics child's.
Then per measured figure the growth exponent b of figure ~ rows^b: a least-squares fit of
log(figure) on log(rows) over every size run, and between each pair of neighbouring sizes.
A markdown table (figures per size, the fitted exponent) is printed for the README, and the results
go to `bench/results/growth-<time>.json` after each size (a run stopped part-way keeps what it measured).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ingest import du, make_bundle  # noqa: E402 (after the repository is put first on the path)
from bench.processes import ingest_command, score_command  # noqa: E402

RESULTS = ROOT / "bench" / "results"

#: (label, unit, how to read it from one size's result): the figures tabulated and fitted
FIGURES: list[tuple[str, str, str]] = [
    ("world generation", "s", "world.generate_s"),
    ("ingest command (ledger + graph)", "s", "ingest.command_s"),
    ("  its CPU seconds (the command's process)", "s", "ingest.command_cpu_s"),
    ("  of which the ledger, on the command's path", "s", "ingest.ledger_path_s"),
    ("  of which the graph (load, checks, checkpoint)", "s", "ingest.graph_s"),
    ("  ledger writer thread (beside the load)", "s", "ingest.ledger_seconds.writer_thread"),
    ("ingest declaration rows/s (whole command)", "rows/s", "ingest.declaration_rows_per_s_command"),
    ("ingest peak RSS", "MB", "ingest.peak_rss_mb"),
    ("score command (analytics child + write-back)", "s", "score.command_s"),
    ("  the store owner's CPU seconds", "s", "score.command_cpu_s"),
    ("  analytics child", "s", "score.child_s"),
    ("score: store owner peak RSS", "MB", "score.command_peak_rss_mb"),
    ("score: analytics child peak RSS", "MB", "score.peak_rss_mb.analytics_process"),
    ("ledger on disk", "MiB", "ingest.ledger_mib"),
    ("store on disk", "MiB", "ingest.store_mib"),
]


def _get(d: dict, path: str) -> float | None:
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return float(d) if isinstance(d, int | float) else None


def exponent(sizes: list[int], values: list[float]) -> float | None:
    """b in value ~ size^b: least squares on the logs (None with fewer than two positive points)."""
    pts = [(math.log(n), math.log(v)) for n, v in zip(sizes, values, strict=True) if v and v > 0]
    if len(pts) < 2:
        return None
    mx, my = sum(x for x, _ in pts) / len(pts), sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def table(runs: dict[int, dict]) -> str:
    """The markdown table: one row per figure, one column per size, the fitted exponent and the
    exponents between neighbouring sizes."""
    sizes = sorted(runs)
    head = ["step", "unit", *(_size(n) for n in sizes), "exponent (fit)", "between sizes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, unit, path in FIGURES:
        vals = [_get(runs[n], path) for n in sizes]
        if all(v is None for v in vals):
            continue
        cells = [f"{v:,.0f}" if v is not None and v >= 100 else f"{v:.1f}" if v is not None else "–"
                 for v in vals]
        have = [(n, v) for n, v in zip(sizes, vals, strict=True) if v]
        b = exponent([n for n, _ in have], [v for _, v in have])
        local = [f"{math.log(v2 / v1) / math.log(n2 / n1):.2f}"
                 for (n1, v1), (n2, v2) in zip(have, have[1:], strict=False) if v1 > 0 and v2 > 0]
        lines.append(f"| {label} | {unit} | " + " | ".join(cells)
                     + f" | {'–' if b is None else f'{b:.2f}'} | {', '.join(local) or '–'} |")
    return "\n".join(lines)


def measure(n: int, seed: int, folder: Path, where: str) -> dict:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"[{_size(n)}] world ...", file=sys.stderr, flush=True)
    world = make_bundle(folder / "bundle", n, seed)
    print(f"[{_size(n)}] tamga ingest ...", file=sys.stderr, flush=True)
    ing = ingest_command(folder / "bundle", folder / "data")
    led = ing["ledger_seconds"]
    ing["ledger_path_s"] = round(led.get("in_ingest_threads", 0.0) + led.get("final_flush", 0.0), 2)
    ing["graph_s"] = round(ing["ingest_s"] - ing["ledger_path_s"], 2)
    ing["ledger_mib"] = round(du(folder / "data" / "ledger") / 2**20, 1)
    ing["store_mib"] = round(sum(du(p) for p in (folder / "data").glob("store.grafeo*")) / 2**20, 1)
    print(f"[{_size(n)}] tamga score --where {where} ...", file=sys.stderr, flush=True)
    sc = score_command(folder / "data", where)
    return {"rows": n, "world": {k: v for k, v in world.items() if isinstance(v, int | float | str)},
            "ingest": ing, "score": sc}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,300000,1000000,3000000",
                    help="declaration rows per size, comma-separated")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/tamga-bench-growth"))
    ap.add_argument("--where", default="child", help="where `tamga score` runs the analytics")
    ap.add_argument("--keep", action="store_true", help="keep each size's bundle and data folder")
    a = ap.parse_args(argv)
    sizes = sorted(int(x) for x in a.sizes.split(",") if x.strip())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out: dict = {"benchmark": "growth", "at": datetime.now(UTC).isoformat(timespec="seconds"),
                 "seed": a.seed, "sizes": sizes,
                 "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                             "platform": platform.platform()},
                 "runs": {}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"growth-{stamp}.json"
    for n in sizes:
        folder = a.workdir / _size(n)
        run = measure(n, a.seed, folder, a.where)
        run["loadavg_1m"] = os.getloadavg()[0]
        out["runs"][n] = run
        out["table"] = table(out["runs"])
        path.write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
        if not a.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(out["table"])
    print(f"\nresults: {path} (load average at the end of each size: "
          + ", ".join(f"{_size(n)} {r['loadavg_1m']:.1f}" for n, r in out["runs"].items()) + ")")
    return out


if __name__ == "__main__":
    main()
