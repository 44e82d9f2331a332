"""Scoring with the analytics in a process of their own, which never opens the store (issue 10).

The store's owner (this process) writes the store's small mutable state (`StoreState`: live
decisions, proposed lanes, inspection results) as Parquet into a private folder under the data dir
(mode 0700, removed afterwards), and starts the analytics process: a fresh interpreter
(`python -c`), not multiprocessing, as ingest's reader process (spawn would run the caller's main
script again; fork is unsafe beside the store's threads). The child builds `Frames.from_ledger`,
runs `run.analyse_for_score` (the same analytics code as the in-process path) and writes the
write-back rows as Parquet (`graph.pipeline.handoff`): the network rows first, which the owner
starts writing into the store while the child runs the declaration analytics, then the declaration
rows and the report (JSON). Control messages come back pickled down a pipe of their own.

Failures: an exception in the child is raised here with its own type and message (the child's
traceback as a note); a child that dies (killed, out of memory) is a `AnalyticsProcessError` with
its exit code. Either way the ScoreRun, if it was started, stays 'running' (shown as interrupted by
`tamga status`), never 'done', and the folder is removed.

What this saves: the store opened at 1M items costs ~2.5 GB before any analytics, reading the
frames through Cypher 14-15 s; the child holds neither.
"""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from graph.domain.encoding import to_json
from graph.ledger import Ledger
from graph.pipeline import delta, handoff
from graph.pipeline.report import peak_rss_mb
from graph.store.ledger_frames import StoreState

if TYPE_CHECKING:
    from graph.pipeline.run import AnalyticsSettings
    from graph.settings import Settings
    from graph.store import GraphStore

FOLDER_PREFIX = ".score-"
#: glibc's allocator in the analytics process (the operator's own values win): keep freed memory
#: instead of returning it to the kernel at every large free, which the next step's arrays fault in
#: again. At 1M items (seed 7 rescore, load 2-6) the run's system time fell from 63.6 to 35.9 s,
#: the command from 161 to 132 s, the child's peak from 2.83 to 2.55 GB. Arrow (pandas' strings)
#: allocates through the same allocator (`ARROW_DEFAULT_MEMORY_POOL=system`): its default mimalloc
#: pool hands freed pages back to the kernel after 10 ms, and they fault in again at the next step.
#: The captured 1M analytics job, run alone twice each way: 62.7/52.1 s wall with 23.3/10.6 s of
#: system time under mimalloc, 50.7/50.1 s with 9.7/9.7 s under the system pool; the frames step
#: 10.7/2.6 s against 2.8/2.8 s; peak 2.53 against 2.64-2.70 GB.
CHILD_MALLOC = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
                "ARROW_DEFAULT_MEMORY_POOL": "system"}
#: the analytics process's collector thresholds (`gc.set_threshold`; Python's are 2000, 10, 10)
CHILD_GC = (100_000, 50, 1000)
WHERE = ("auto", "child", "in-process")


class AnalyticsProcessError(RuntimeError):
    """The analytics process ended without its results (killed, out of memory, or crashed)."""


def ledger_gap(store: GraphStore, settings: Settings) -> str | None:
    """Why the ledger cannot feed the analytics (it holds fewer declarations or parties than the
    graph: the store was loaded before the ledger existed), or None. Counts only: the ledger's
    rows (versions included) against the graph's nodes."""
    ledger = Ledger.of(settings)
    nodes = store.count_kinds()[0]
    for kind, label in (("declarations", "Declaration"), ("parties", "Party")):
        graph_n = int(nodes.get(label) or 0)
        ledger_n = ledger.count(kind)
        if ledger_n < graph_n:
            return (f"scored in this process on frames read from the store: the ledger at {ledger.root} "
                    f"holds "
                    f"{ledger_n} {kind} rows, the graph {graph_n} (loaded before the ledger existed; "
                    "re-ingesting the bundles fills the ledger)")
    return None


def choose(store: GraphStore, settings: Settings, where: str) -> tuple[bool, str | None]:
    """(run the analytics in a child process, why not when auto chose this process)."""
    if where not in WHERE:
        raise ValueError(f"where must be one of {', '.join(WHERE)}, not {where!r}")
    if where == "in-process":
        return False, None
    gap = ledger_gap(store, settings)
    if gap is None:
        return True, None
    if where == "child":
        raise ValueError(f"cannot score in a child process: {gap}")
    return False, gap


def _remove_leftovers(data_dir: Path) -> None:
    """Folders of owners that died (kill -9) before removing theirs: the pid in the name is gone."""
    for d in data_dir.glob(f"{FOLDER_PREFIX}*"):
        try:
            pid = int(d.name.removeprefix(FOLDER_PREFIX).split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)


def score_in_child(store: GraphStore, s: Settings, a: AnalyticsSettings, *, communities: bool,
                   declarations: bool, progress: bool, scored_at: str,
                   start_run: Callable[[], None], profiles: list[Any] | None = None,
                   screening: Any = None, on_step: Callable[[str], None] | None = None,
                   retrain: bool = False) -> tuple[dict, dict, list, delta.Snapshot]:
    """The analytics in a child process, their results written into `store` here in batches: only
    the rows that differ from the last run's when its hand-off is kept (graph.pipeline.delta).
    Returns (report, written, audit plan rows) for `run.score` to store as the ScoreRun, and the
    hand-off to keep (`Snapshot.commit`) once it is stored, or to `discard`."""
    from graph.pipeline.writeback import write_declaration_rows, write_network_rows

    data_dir = Path(s.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(data_dir)
    folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=data_dir))  # mode 0700
    owner: dict[str, float] = {}
    t0 = time.perf_counter()
    proc = None
    kept: delta.Snapshot | None = None
    prev, why = delta.previous(store, s)
    mode: dict[str, Any] = {"mode": "delta" if prev else "full", "why": why}
    try:
        t = time.perf_counter()
        state = StoreState.from_store(store)
        owner["state_read"] = round(time.perf_counter() - t, 3)
        state_written = handoff.write_state(state, folder)
        owner["state_write"] = state_written["seconds"]
        del state

        rfd, wfd = os.pipe()
        env = {**CHILD_MALLOC, **os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        proc = subprocess.Popen(
            [sys.executable, "-c", "from graph.pipeline.analytics_process import child_main; child_main()",
             str(wfd)], stdin=subprocess.PIPE, stdout=2, pass_fds=(wfd,), env=env)
        os.close(wfd)
        job = {"settings": s, "analytics": a, "communities": communities, "declarations": declarations,
               "progress": progress, "scored_at": scored_at, "folder": str(folder),
               "profiles": profiles,  # the live risk profiles and watchlist hits, read here by the owner
               "screening": screening, "retrain": retrain}
        assert proc.stdin is not None  # opened as a pipe above
        proc.stdin.write(pickle.dumps(job))
        proc.stdin.close()

        readers: list[handoff.PartReader] = []
        network_manifest: list[dict] = []
        network: Future | None = None
        done: dict[str, Any] | None = None
        with os.fdopen(rfd, "rb") as pipe, ThreadPoolExecutor(max_workers=1) as pool:
            def write_network(manifest: dict) -> dict:
                t = time.perf_counter()
                if prev is not None:
                    provisional = {r["key"] for r in store.run("analytics.provisional_parties")}
                    rows, replaced = delta.network_rows(prev, folder, manifest, provisional)
                    owner["diff_network"] = round(time.perf_counter() - t, 3)
                    out = write_network_rows(store, rows, batch_size=s.batch_size, replaced=replaced)
                    out["provisional_rewritten"] = len(provisional)
                else:
                    reader = handoff.PartReader(folder, manifest, s.batch_size)
                    readers.append(reader)
                    out = write_network_rows(store, reader.parts(), batch_size=s.batch_size)
                owner["write_network"] = round(time.perf_counter() - t, 3)
                if progress:
                    print(f"[score] write_network {owner['write_network']:.2f}s (alongside the declaration "
                          "analytics, in the analytics process)", file=sys.stderr, flush=True)
                return out

            # leaving the pool on an error waits for a write in flight
            while done is None:
                try:
                    kind, value = pickle.load(pipe)
                except EOFError:
                    proc.wait(30)
                    raise AnalyticsProcessError(
                        f"the analytics process (pid {proc.pid}) stopped without its results "
                        f"(exit code {proc.returncode})") from None
                if kind == "network":
                    network_manifest.append(value)
                    start_run()  # recorded as running before anything is written back
                    network = pool.submit(write_network, value)
                elif kind == "step":  # the child's step begins: the job's progress (and its cancel point)
                    if on_step is not None:
                        on_step(value)
                elif kind == "error":
                    exc, tb = value
                    exc.add_note(f"in the analytics process (pid {proc.pid}):\n{tb}")
                    raise exc
                else:
                    done = value
            written = network.result() if network is not None else {"seconds": {}}
        t = time.perf_counter()
        diffed = delta.declaration_rows(prev, folder, done["declarations"]) if prev is not None else None
        if diffed is not None:
            owner["diff_declarations"] = round(time.perf_counter() - t, 3)
            dec_written = write_declaration_rows(store, diffed[0], batch_size=s.batch_size, cleared=diffed[1])
        else:
            if prev is not None:
                mode["declarations"] = "full write: the run's declaration parts differ from the kept ones"
            reader = handoff.PartReader(folder, done["declarations"], s.batch_size)
            readers.append(reader)
            dec_written = write_declaration_rows(store, reader.parts(), batch_size=s.batch_size)
        owner["write_declarations"] = round(time.perf_counter() - t, 3)
        written["seconds"].update(dec_written.pop("seconds"))
        written.update(dec_written)
        written["write_back"] = mode
        proc.wait(30)
        t = time.perf_counter()
        body = orjson.loads((folder / "report.json").read_bytes())
        owner["report_read"] = round(time.perf_counter() - t, 3)
        rep, plan = body["report"], body["audit_plan_rows"]
        rep["process"] = {
            "analytics": "child", "frames": "ledger",
            "child": {"pid": proc.pid, "peak_rss_mb": done["peak_rss_mb"], "seconds": done["seconds"],
                      "cpu_s": done.get("cpu_s"),
                      "timings_s": rep["timings_s"]},
            "owner": {"peak_rss_mb": round(peak_rss_mb(), 1), "seconds": round(time.perf_counter() - t0, 3),
                      "timings_s": owner},
            "handoff": {"state_bytes": state_written["bytes"], "state_write_s": state_written["seconds"],
                        "results_bytes": done["network"]["bytes"] + done["declarations"]["bytes"],
                        "results_write_s": round(done["network"]["seconds"]
                                                 + done["declarations"]["seconds"], 3),
                        "results_read_s": round(sum(r.seconds for r in readers), 3)},
        }
        rep["timings_s"] = {**rep["timings_s"], **owner}
        kept = delta.Snapshot(folder, network_manifest[0], done["declarations"])
        return rep, written, plan, kept
    finally:
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        if kept is None:
            shutil.rmtree(folder, ignore_errors=True)


def child_main() -> None:
    """The analytics process: the job from stdin, messages down the pipe (fd in argv[1]).

    The cyclic garbage collector runs less often here (CHILD_GC): the reasons are millions of small
    dicts and lists, and every collection walked all of them again. A batch process that ends when
    its results are written; at 1M items the declaration analytics took 35.5 s with the default
    thresholds, 29.2 s with these, and 30.1 s with the collector off, at the same peak (2.65 GB)."""
    gc.set_threshold(*CHILD_GC)
    with os.fdopen(int(sys.argv[1]), "wb") as pipe:
        def send(msg: tuple) -> None:
            pickle.dump(msg, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            pipe.flush()

        try:
            _child(pickle.load(sys.stdin.buffer), send)
        except BrokenPipeError:
            pass  # the owner is gone
        except BaseException as e:  # noqa: BLE001 - every failure goes back to the owner, which raises it
            tb = traceback.format_exc()
            try:
                pickle.loads(pickle.dumps(e))
                send(("error", (e, tb)))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                send(("error", (AnalyticsProcessError(f"{type(e).__name__}: {e}"), tb)))


def _child(job: dict, send: Callable[[tuple], None]) -> None:
    from graph.pipeline.report import report
    from graph.pipeline.run import _Timer, analyse_for_score
    from graph.pipeline.writeback import audit_plan_rows, declaration_rows, network_rows
    from graph.store.frames import Frames

    t0 = time.perf_counter()
    s, folder = job["settings"], Path(job["folder"])
    timings: dict[str, float] = {}
    def on_step(name: str) -> None:
        send(("step", name))

    with _Timer(timings, job["progress"], on_step)("frames"):
        frames = Frames.from_ledger(Ledger.of(s), handoff.read_state(folder))
    sent: dict[str, dict] = {}

    def on_network(r) -> None:
        t = time.perf_counter()
        sent["network"] = handoff.write_parts(network_rows(r, job["scored_at"]), folder, "network")
        timings["handoff_network"] = round(time.perf_counter() - t, 3)
        send(("network", sent["network"]))

    r = analyse_for_score(frames, job["analytics"], s, communities=job["communities"],
                          declarations=job["declarations"], progress=job["progress"], timings=timings,
                          on_network=on_network, profiles=job.get("profiles"),
                          screening=job.get("screening"), on_step=on_step,
                          retrain=bool(job.get("retrain")))
    t = time.perf_counter()
    dec = handoff.write_parts(declaration_rows(r), folder, "declarations")
    rep = report(r)
    plan = audit_plan_rows(r)
    timings["handoff_declarations"] = round(time.perf_counter() - t, 3)
    rep["timings_s"] = dict(timings)
    (folder / "report.json").write_text(to_json({"report": rep, "audit_plan_rows": plan}), encoding="utf-8")
    send(("done", {"network": sent["network"], "declarations": dec, "peak_rss_mb": round(peak_rss_mb(), 1),
                   "seconds": round(time.perf_counter() - t0, 3), "cpu_s": round(time.process_time(), 3)}))
