"""Frames from the ledger against frames from the store, in the same run.

    .venv/bin/python bench/bench_ledger.py --rows 100000 --data /tmp/tamga-bench-ledger

1. prepare (once per --data folder): a seeded world and its ingest into an embedded Grafeo store
   and the ledger beside it (one `ingest_bundle`, as `tamga ingest` runs it);
2. three fresh child processes, each timed with its own peak RSS (VmHWM):
   a. store: open the store, `Frames.from_store` (what `tamga score` does today);
   b. state: open the store, `StoreState.from_store` (lanes, inspected items, decisions), write it
      as Parquet for the analytics process, close;
   c. ledger: `Frames.from_ledger` from the ledger and that Parquet state, no store opened;
3. the digest index (idempotency): rebuilding it from the parts (first append of a run) and
   checking one 5,000-row batch, on the ledger's own digests and on a synthetic 1M-digest index;
4. the append itself: the ledger's declaration rows appended again to a fresh ledger in 5,000-row
   batches of Python lists (as ingest hands them over), flushed; then the same batches again into
   that ledger (a re-run: every row found in the index, nothing written).

Results go to `bench/results/ledger-<rows>-<time>.json` and a summary is printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

_RSS = """
def _rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return round(int(line.split()[1]) / 1024, 1)
"""

PREPARE = r"""
import json, sys, time
from pathlib import Path
from ingest.simulate import generate_world
from ingest.load import ingest_bundle
from graph.settings import Settings
from graph.store import open_store
rows, data = int(sys.argv[1]), Path(sys.argv[2])
generate_world(data / "bundle", seed=7, declarations=rows)
s = Settings(env="test", data_dir=data / "data")
with open_store(s) as store:
    t = time.perf_counter()
    rep = ingest_bundle(store, data / "bundle", settings=s, progress=False)
print(json.dumps({"ingest_s": round(time.perf_counter() - t, 2), "phase_seconds": rep.phase_seconds}))
"""

STORE = _RSS + r"""
import json, sys, time
from pathlib import Path
from graph.settings import Settings
from graph.store import open_store
from graph.store.frames import Frames
s = Settings(env="test", data_dir=Path(sys.argv[1]))
t = time.perf_counter()
store = open_store(s, read_only=True)
opened = time.perf_counter() - t
f = Frames.from_store(store)
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "open_s": round(opened, 2),
                  "rows": f.summary(), "peak_rss_mb": _rss()}))
"""

STATE = _RSS + r"""
import json, sys, time
from pathlib import Path
from graph.settings import Settings
from graph.store import open_store
from graph.store.ledger_frames import StoreState
s = Settings(env="test", data_dir=Path(sys.argv[1]))
t = time.perf_counter()
with open_store(s, read_only=True) as store:
    st = StoreState.from_store(store)
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
for name in ("decisions", "lanes", "inspections"):
    getattr(st, name).astype(object).to_parquet(out / f"{name}.parquet")
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "peak_rss_mb": _rss()}))
"""

LEDGER = _RSS + r"""
import json, sys, time
from pathlib import Path
import pandas as pd
from graph.ledger import Ledger
from graph.store.frames import Frames, frame
from graph.store.ledger_frames import StoreState
t = time.perf_counter()
d = Path(sys.argv[2])
dec = pd.read_parquet(d / "decisions.parquet")
st = StoreState(frame("decisions", dec) if len(dec) else StoreState().decisions,
                pd.read_parquet(d / "lanes.parquet"), pd.read_parquet(d / "inspections.parquet"))
f = Frames.from_ledger(Ledger(Path(sys.argv[1]) / "ledger"), st)
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "rows": f.summary(), "peak_rss_mb": _rss(),
                  "store_module_loaded": "grafeo" in sys.modules}))
"""

INDEX = r"""
import json, sys, time
import numpy as np
from pathlib import Path
from graph.ledger import Ledger
from graph.ledger.ledger import DigestIndex
led = Ledger(Path(sys.argv[1]) / "ledger")
t = time.perf_counter(); idx = led._index_of("declarations"); build = time.perf_counter() - t
rng = np.random.default_rng(7)
probe = rng.integers(0, 2**63, 5000, dtype=np.uint64)
t = time.perf_counter(); idx.contains(probe); check = time.perf_counter() - t
big = rng.integers(0, 2**63, 1_000_000, dtype=np.uint64)
t = time.perf_counter(); bi = DigestIndex(big); build_1m = time.perf_counter() - t
t = time.perf_counter()
for _ in range(20):
    bi.contains(probe); bi.add(rng.integers(0, 2**63, 5000, dtype=np.uint64))
per_batch_1m = (time.perf_counter() - t) / 20
print(json.dumps({"ledger_keys": len(idx), "rebuild_from_parts_s": round(build, 3),
                  "check_5000_s": round(check, 5), "synthetic_1m_build_s": round(build_1m, 3),
                  "synthetic_1m_check_and_add_per_5000_batch_s": round(per_batch_1m, 5),
                  "index_bytes_per_key": 8}))
"""


APPEND = _RSS + r"""
import json, sys, time, tempfile
from pathlib import Path
from graph.ledger import Ledger
src = Ledger(Path(sys.argv[1]) / "ledger").history("declarations")
src = src.drop_columns(["_digest", "_seq", "source", "month"])
batches = [src.slice(i, 5000).to_pydict() for i in range(0, src.num_rows, 5000)]
out = Ledger(tempfile.mkdtemp(dir=sys.argv[2]))
t = time.perf_counter()
for b in batches:
    out.append("declarations", b, "customs")
caller = time.perf_counter() - t  # what the ingest thread spends; the rest overlaps on the writer thread
out.flush()
first = time.perf_counter() - t
again = Ledger(out.root)
t = time.perf_counter()
added = sum(again.append("declarations", b, "customs") for b in batches)
again.flush()
rerun = time.perf_counter() - t
print(json.dumps({"rows": src.num_rows, "append_s": round(first, 2), "caller_s": round(caller, 2),
                  "us_per_row": round(first / src.num_rows * 1e6, 1),
                  "rerun_s": round(rerun, 2), "rerun_added": added,
                  "parts": len(list(out.root.rglob("*.parquet"))), "peak_rss_mb": _rss()}))
"""


def _child(code: str, *args: str) -> dict:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                       check=False, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    if p.returncode != 0:
        raise RuntimeError(f"child failed:\n{p.stderr[-4000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_s"] = round(time.perf_counter() - t, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--data", type=Path, default=Path("/tmp/tamga-bench-ledger"))
    a = ap.parse_args()
    if a.rows > 300_000:
        sys.exit("bench_ledger: at most 300k rows on the shared machine")
    data = a.data.resolve()
    out: dict = {"rows": a.rows, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    if not (data / "data" / "ledger").is_dir():
        out["prepare"] = _child(PREPARE, str(a.rows), str(data))
    out["store"] = _child(STORE, str(data / "data"))
    out["state"] = _child(STATE, str(data / "data"), str(data / "state"))
    out["ledger"] = _child(LEDGER, str(data / "data"), str(data / "state"))
    out["index"] = _child(INDEX, str(data / "data"))
    out["append"] = _child(APPEND, str(data / "data"), str(data))
    assert out["store"]["rows"] == out["ledger"]["rows"], (out["store"]["rows"], out["ledger"]["rows"])
    s, st, le = out["store"], out["state"], out["ledger"]
    out["ratio"] = {"time_store_over_ledger_plus_state":
                    round(s["wall_s"] / (le["wall_s"] + st["wall_s"]), 2),
                    "frames_s_store_over_ledger": round(s["seconds"] / le["seconds"], 2),
                    "peak_rss_store_over_ledger": round(s["peak_rss_mb"] / le["peak_rss_mb"], 2)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"ledger-{a.rows}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    print(f"frames from the store : {s['seconds']:.2f} s ({s['wall_s']:.2f} s process), "
          f"peak {s['peak_rss_mb']:.0f} MB")
    print(f"store state (owner)   : {st['seconds']:.2f} s ({st['wall_s']:.2f} s process), "
          f"peak {st['peak_rss_mb']:.0f} MB")
    print(f"frames from the ledger: {le['seconds']:.2f} s ({le['wall_s']:.2f} s process), "
          f"peak {le['peak_rss_mb']:.0f} MB")
    ap_, ix = out["append"], out["index"]
    print(f"append {ap_['rows']:,} rows     : {ap_['append_s']:.2f} s ({ap_['us_per_row']} us/row; "
          f"{ap_['caller_s']:.2f} s of it in the caller's thread), re-run "
          f"{ap_['rerun_s']:.2f} s adding {ap_['rerun_added']}")
    print(f"digest index          : rebuild from parts {ix['rebuild_from_parts_s']} s "
          f"({ix['ledger_keys']:,} keys); 1M keys: build {ix['synthetic_1m_build_s']} s, "
          f"{ix['synthetic_1m_check_and_add_per_5000_batch_s']} s per 5,000-row batch")
    print(f"results in {path}")


if __name__ == "__main__":
    main()
