"""Ingest benchmark: N simulated declaration rows into a fresh embedded store.

The figure issue 10 judges is the whole `tamga ingest` command (a fresh process: start-up, schema,
load, final checkpoint, report), ledger and graph together. In the same run, three more figures:
the same command with the ledger off (`TAMGA_LEDGER_WRITES=false`: the graph-only path), the
store's own ceiling (`store_ceiling`: the same items, prepared beforehand, through Grafeo's batch
calls with nothing else to do), and below, the same loader with `batch_size=1` (one statement per
row and step) on a sample. Per command: declaration rows/s over the command's wall time, peak RSS
of the command's process (wait4) and of its reader process, the seconds of each phase and the
ledger's own seconds from the report; the store's size on disk. `--in-process` adds the older
figure: `ingest_bundle` timed inside this process.

    .venv/bin/python bench/bench_ingest.py --rows 100000
    .venv/bin/python bench/bench_ingest.py --rows 1000000 --naive-sample 2000

The bundle is made by `ingest.simulate.generate_world` in a child process (so its memory does not
count against the ingest's peak RSS); without the simulator a simple seeded generator is used.
Results go to `bench/results/` (git-ignored) as JSON, and a summary is printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.processes import ingest_command, python  # noqa: E402
from graph.settings import Settings  # noqa: E402 (after the repository is put first on the path)
from graph.store import open_store  # noqa: E402
from ingest.load import count_graph, ingest_bundle  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def simple_bundle(out: Path, rows: int, seed: int = 7) -> dict:
    """A plain contract bundle (no planted typologies), for when the simulator is absent."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_parties = max(50, rows // 20)
    with (out / "parties.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["party_id", "name", "kind", "country", "tax_id", "address", "phone", "email"])
        for i in range(n_parties):
            w.writerow([f"P{i}", f"Firm {i} LLC", "company", rng.choice(["UZ", "KZ"]),
                        f"{rng.randrange(10**9):09d}",
                        f"Street {rng.randrange(500)}, {rng.randrange(100)}",
                        f"+99890{rng.randrange(10**7):07d}",
                        f"firm{i}@example.uz"])
    day0 = date(2024, 1, 1)
    with (out / "declarations.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["declaration_id", "item_no", "date", "regime", "declarant_id", "consignee_id",
                    "consignor_id",
                    "transport_mode", "hs_code", "origin_country", "dispatch_country", "destination_country",
                    "net_mass_kg", "customs_value", "currency", "vehicle_id"])
        i = 0
        d = 0
        while i < rows:
            items = min(rows - i, rng.choice([1, 1, 1, 2, 3]))
            dec, con, cor = (f"P{rng.randrange(n_parties)}" for _ in range(3))
            for item in range(1, items + 1):
                w.writerow([f"D{d}", item, (day0 + timedelta(days=rng.randrange(365))).isoformat(), "IM40",
                            dec, con,
                            cor, rng.choice(["road", "rail", "air"]), f"{rng.randrange(10**5, 10**6)}0000",
                            rng.choice(["CN", "TR", "RU"]), rng.choice(["KZ", "CN"]), "UZ",
                            round(rng.uniform(1, 10000), 1), round(rng.uniform(10, 10**6), 2), "USD",
                            f"01A{rng.randrange(1000):03d}BC"])
                i += 1
            d += 1
    return {"parties": n_parties, "declarations": rows, "generator": "bench.simple_bundle"}


def make_bundle(out: Path, rows: int, seed: int) -> dict:
    """Generate in a child process so the generator's memory is not the ingest's."""
    code = ("import json, sys; from pathlib import Path; from ingest.simulate import generate_world; "
            "info = generate_world(Path(sys.argv[1]), seed=int(sys.argv[2]), declarations=int(sys.argv[3])); "
            "print(json.dumps({k: v for k, v in info.items() if isinstance(v, (int, float, str))}))")
    try:
        import ingest.simulate  # noqa: F401
    except ImportError:
        return simple_bundle(out, rows, seed)
    m = python(code, str(out), str(seed), str(rows))
    if m.returncode != 0:
        raise RuntimeError(f"world generation failed:\n{m.stderr[-4000:]}")
    info = json.loads(m.stdout.strip().splitlines()[-1])
    info["generator"] = "ingest.simulate.generate_world"
    info["generate_s"] = m.seconds
    info["generate_peak_rss_mb"] = m.peak_rss_mb
    return info


def sample_bundle(src: Path, dst: Path, n: int) -> None:
    """The bundle's parties with its first n declaration rows (for the naive baseline)."""
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "parties.csv", dst / "parties.csv")
    with (src / "declarations.csv").open(encoding="utf-8", newline="") as f, \
            (dst / "declarations.csv").open("w", encoding="utf-8", newline="") as g:
        r, w = csv.reader(f), csv.writer(g)
        w.writerow(next(r))
        for i, row in enumerate(r):
            if i >= n:
                break
            w.writerow(row)


def store_ceiling(bundle: Path, folder: Path, n: int, batch_size: int,
                  copied: tuple[str, ...] | None = None) -> dict:
    """The embedded store's own write rate for the same items, measured in the same run: the first
    n declaration rows, built beforehand (untimed) into the properties the loader stores, written
    with Grafeo's batch calls (nodes, then their 8 relationships to end nodes made beforehand) into a
    fresh store with the schema's indexes, on one thread. No parsing, no checks, no dimensions: what
    no loader through this binding can beat, so `ingest / ceiling` says how much the loader adds.
    `copied`: the contract columns stored on the item (default: the loader's); the item's key,
    declaration_key and item_no come on top."""
    from datetime import date as _date

    from ingest.load.declarations import _DECLARATION_COPY

    numeric = {"net_mass_kg", "gross_mass_kg", "quantity", "customs_value", "duty_rate", "duty_amount"}
    rows, ends = [], {}
    with (bundle / "declarations.csv").open(encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f)):
            if i >= n:
                break
            props = {k: (float(r[k]) if k in numeric else _date.fromisoformat(r[k]) if k == "date" else r[k])
                     for k in (copied or _DECLARATION_COPY) if r.get(k)}
            props.update(key=f"c:{r['declaration_id']}/{r['item_no']}",
                         declaration_key=f"c:{r['declaration_id']}",
                         item_no=int(r["item_no"]))
            links = [(f"P:{r[c]}", c) for c in ("declarant_id", "consignee_id", "consignor_id", "carrier_id",
                                                  "broker_id") if r.get(c)]
            route = "|".join(r.get(c, "") for c in ("origin_country", "dispatch_country", "transit_countries",
                                                    "destination_country", "border_post", "transport_mode"))
            links += [(f"R:{route}", "ON_ROUTE"), (f"H:{r['hs_code']}", "CLASSIFIED_AS")]
            if r.get("vehicle_id"):
                links.append((f"V:{r['vehicle_id']}", "TRANSPORTED_BY"))
            for k, _ in links:
                ends.setdefault(k, None)
            rows.append((props, links))
    s = Settings(env="test", data_dir=folder)
    with open_store(s) as store:
        store.ensure_schema()
        db = store._db
        keys = list(ends)
        for i in range(0, len(keys), batch_size):
            ids = db.batch_create_nodes_with_props("Party", [{"key": k} for k in keys[i:i + batch_size]])
            ends.update(zip(keys[i:i + batch_size], ids, strict=True))
        rel = {"declarant_id": "DECLARED_BY", "consignee_id": "CONSIGNED_TO", "consignor_id": "CONSIGNED_BY",
               "carrier_id": "CARRIED_BY", "broker_id": "BROKERED_BY"}
        t, cpu = time.perf_counter(), time.process_time()
        with store.bulk_load():
            for i in range(0, len(rows), batch_size):
                chunk = rows[i:i + batch_size]
                ids = db.batch_create_nodes_with_props("Declaration", [p for p, _ in chunk])
                db.batch_create_edges([(nid, ends[k], rel.get(t_, t_))
                                       for nid, (_, links) in zip(ids, chunk, strict=True)
                                       for k, t_ in links])
            t_write, cpu_write = time.perf_counter() - t, time.process_time() - cpu
    return {"rows": len(rows), "rows_per_s": round(len(rows) / t_write, 1), "write_s": round(t_write, 2),
            "properties_per_item": round(sum(len(p) for p, _ in rows) / max(1, len(rows)), 1),
            # CPU seconds of this process for the writes: steadier than wall time on a shared machine
            "cpu_s": round(cpu_write, 2), "rows_per_cpu_s": round(len(rows) / cpu_write, 1),
            "with_checkpoint_s": round(time.perf_counter() - t, 2)}


def du(path: Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000, help="declaration rows to simulate")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--batch-size", type=int, default=5000)
    ap.add_argument("--naive-sample", type=int, default=1000,
                    help="rows for the one-statement-per-row baseline")
    ap.add_argument("--ceiling-sample", type=int, default=None,
                    help="rows for the store's own batch-write ceiling (default: all; fewer rows make it "
                         "look faster)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep bundle and store here (default: temp dir)")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--reuse-bundle", action="store_true", help="keep a bundle already in --workdir")
    ap.add_argument("--in-process", action="store_true",
                    help="also time ingest_bundle inside this process (the figure before issue 10)")
    a = ap.parse_args(argv)

    work = a.workdir or Path(tempfile.mkdtemp(prefix="tamga-bench-ingest-"))
    bundle = work / "bundle"
    print(f"generating {a.rows:,} declaration rows into {bundle} ...", flush=True)
    if a.reuse_bundle and (bundle / "declarations.csv").exists():
        info = {"generator": "reused", "path": str(bundle)}
    else:
        info = make_bundle(bundle, a.rows, a.seed)
    for name in ("store", "graph-only", "naive", "in-process"):
        shutil.rmtree(work / name, ignore_errors=True)  # always fresh stores
    bundle_bytes = du(bundle)

    # the measured runs: the whole command, ledger and graph, then the graph alone
    print("tamga ingest (ledger + graph) ...", flush=True)
    full = ingest_command(bundle, work / "store", batch_size=a.batch_size)
    full["store_bytes"] = sum(du(p) for p in (work / "store").glob("store.grafeo*"))
    full["ledger_bytes"] = du(work / "store" / "ledger")
    print("tamga ingest (graph only) ...", flush=True)
    graph_only = ingest_command(bundle, work / "graph-only", ledger=False, batch_size=a.batch_size)
    shutil.rmtree(work / "graph-only", ignore_errors=True)
    s = Settings(env="test", data_dir=work / "store", batch_size=a.batch_size)
    with open_store(s) as store:
        nodes, rels = count_graph(store)

    in_process = None
    if a.in_process:
        ip = Settings(env="test", data_dir=work / "in-process", batch_size=a.batch_size)
        t = time.perf_counter()
        with open_store(ip) as store:
            r = ingest_bundle(store, bundle, settings=ip, progress=a.progress)
        in_process = {"wall_s": round(time.perf_counter() - t, 2), "ingest_s": r.duration_s,
                      "declaration_rows_per_s": r.declaration_rows_per_s, "all_rows_per_s": r.rows_per_s,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
        shutil.rmtree(work / "in-process", ignore_errors=True)

    # the naive baseline: same loader, one statement per row and step, on a sample
    naive_dir = work / "naive"
    sample_bundle(bundle, naive_dir / "bundle", a.naive_sample)
    ns = Settings(env="test", data_dir=naive_dir / "store", batch_size=1)
    with open_store(ns) as store:
        nrep = ingest_bundle(store, naive_dir / "bundle", settings=ns, progress=False)

    # the store's own ceiling for the same rows (same session)
    ceiling = store_ceiling(bundle, work / "ceiling" / "store", a.ceiling_sample or a.rows, a.batch_size)
    shutil.rmtree(work / "ceiling", ignore_errors=True)

    rate = full["declaration_rows_per_s_command"]
    out = {
        "benchmark": "ingest", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "loadavg_1m": os.getloadavg()[0]},
        "rows": a.rows, "seed": a.seed, "batch_size": a.batch_size, "bundle": info,
        "bundle_bytes": bundle_bytes,
        "command": full, "command_graph_only": graph_only,
        "ledger_share_of_command_s": round(1 - graph_only["command_s"] / full["command_s"], 2),
        "ledger_share_of_command_cpu_s": round(1 - graph_only["command_cpu_s"] / full["command_cpu_s"], 2),
        "nodes": sum(nodes.values()), "relationships": sum(rels.values()),
        "naive": {"sample_rows": a.naive_sample, "batch_size": 1,
                  "declaration_rows_per_s": nrep.declaration_rows_per_s},
        "speedup_vs_naive": round(full["declaration_rows_per_s_phase"] / nrep.declaration_rows_per_s, 1)
        if nrep.declaration_rows_per_s else None,
        "store_ceiling": ceiling,
        "command_share_of_store_ceiling": round(rate / ceiling["rows_per_s"], 2)
        if ceiling["rows_per_s"] else None,
        "in_process": in_process,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"ingest-{a.rows}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(out, indent=2), encoding="utf-8")
    for c in (full, graph_only):
        print(f"tamga ingest, {c['path']:<12}: {c['declaration_rows_per_s_command']:>9,.0f} declaration "
              f"rows/s over the command ({c['command_s']:.1f} s, of which {c['startup_and_end_s']:.1f} s "
              f"start-up and end; {c['command_cpu_s']:.1f} CPU s), peak RSS {c['peak_rss_mb']:,.0f} MB "
              f"(+ reader {c['reader_process_peak_rss_mb']:,.0f} MB); "
              f"phases {c['phase_seconds']}; ledger {c['ledger_seconds']}")
    print(f"store ceiling (Grafeo batch calls, {ceiling['rows']:,} prepared rows): "
          f"{ceiling['rows_per_s']:,.0f} rows/s -> the command at "
          f"{out['command_share_of_store_ceiling']} of it; "
          f"naive (batch 1, {a.naive_sample} rows) {nrep.declaration_rows_per_s:,.0f} rows/s; store "
          f"{full['store_bytes'] / 2**20:,.0f} MiB, ledger {full['ledger_bytes'] / 2**20:,.0f} MiB "
          f"(bundle {bundle_bytes / 2**20:,.0f} MiB); load avg {out['machine']['loadavg_1m']:.1f}")
    print(f"results: {path}")
    if a.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return out


if __name__ == "__main__":
    main()
