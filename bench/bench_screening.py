"""Screening benchmark: every party and officer of a simulated world against a synthetic 10k-entity list.

    .venv/bin/python bench/bench_screening.py --rows 100000 --entities 10000 --data /tmp/tamga-bench-screen

1. world (once per --data folder): `ingest.simulate.generate_world` in a child process;
2. screen, in a fresh child process: read parties.csv and officers.csv into the frames the
   analytics use, build a seeded list of `--entities` entities, prepare it, screen every subject;
   wall time per step and the child's peak RSS. The list: `--hard-share` (default 20 %) of
   entities are made of words drawn from the world's own names in other combinations (the world's
   people share a small name vocabulary, so these are homonyms that blocking cannot drop, the worst
   case for time), the rest of names from another vocabulary, and 1 % are planted: a party's or
   officer's name with its parts reversed, a letter changed or written in Cyrillic, or a party's
   tax id under another name. Planted recall is reported with the hits.

Results go to `bench/results/screening-<rows>-<time>.json` and a summary is printed.
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

WORLD = r"""
import json, sys
from pathlib import Path
from ingest.simulate import generate_world
s = generate_world(Path(sys.argv[1]), seed=7, declarations=int(sys.argv[2]))
print(json.dumps({k: v for k, v in s.items() if k != "bytes"}, default=str))
"""

SCREEN = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from graph.network import screening as S

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

bundle, n_ent, hard_share = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
t0 = time.perf_counter()
p = pd.read_csv(bundle / "parties.csv", dtype=str, keep_default_na=False)
o = pd.read_csv(bundle / "officers.csv", dtype=str, keep_default_na=False)
parties = pd.DataFrame({"key": "sim:" + p["party_id"], "name": p["name"],
                        "kind": p["kind"].replace("", "company"),
                        "country": p["country"].str.lower().replace("", None),
                        "tax_id_norm": p["tax_id"].str.replace(r"\D", "", regex=True)})
officers = pd.DataFrame({"person": "sim:" + o["person_id"], "person_name": o["person_name"],
                         "company": "sim:" + o["company_id"]})
subj = S.subjects(parties, officers)
read_s = time.perf_counter() - t0
rss_read = rss_mb()

rng = np.random.default_rng(11)
CYR = str.maketrans("abvgdeziklmnoprstufh", "абвгдезиклмнопрстуфх")
words = {"person": [w for n in officers["person_name"] for w in n.split()],
         "company": [w for n in p["name"]
                     for w in n.replace('"', " ").replace("«", " ").replace("»", " ").split() if len(w) > 3]}
ents, planted = [], {}
n_plant = n_ent // 100
picks = rng.choice(len(subj), size=n_plant, replace=False)
for j, i in enumerate(picks):
    s = subj.iloc[i]
    parts = str(s["name"]).split()
    how = j % 4
    if how == 0:
        name = " ".join(reversed(parts))
    elif how == 1:
        w = max(range(len(parts)), key=lambda k: len(parts[k]))
        parts[w] = parts[w][:-2] + parts[w][-1] + parts[w][-2] if len(parts[w]) > 4 else parts[w]
        name = " ".join(parts)
    elif how == 2:
        name = s["name"].lower().translate(CYR)
    else:
        name = "Listed Holding " + str(j)
    ids = [{"kind": "inn", "value": s["tax_id"]}] if how == 3 and s["tax_id"] else []
    if how == 3 and not ids:
        name = s["name"]
    eid = f"e{j}"
    ents.append({"key": f"bench:{eid}", "list": "bench", "entity_id": eid,
                 "schema": "Person" if s["kind"] == "person" else "Company", "name": name, "names": [],
                 "countries": [], "birth_dates": [], "identifiers": ids})
    planted[s["key"]] = eid
SYLL = ["ka", "ro", "mi", "tan", "sel", "vor", "du", "len", "pa", "shi", "gor", "bek", "ul", "zan", "fe",
        "lo", "nar", "tis", "qu", "bra", "em", "ost", "vik", "har", "jo", "mun", "del", "ri", "sa", "tor"]
n_hard = int(n_ent * hard_share)
for j in range(n_plant, n_ent):
    kind = "person" if j % 2 else "company"
    size = int(rng.integers(2, 4))
    if j < n_plant + n_hard:  # the world's own words in other combinations: homonyms on purpose
        pool = words[kind]
        name = " ".join(pool[k] for k in rng.integers(0, len(pool), size=size))
    else:
        name = " ".join("".join(rng.choice(SYLL, size=int(rng.integers(2, 4)))).title() for _ in range(size))
    ents.append({"key": f"bench:e{j}", "list": "bench", "entity_id": f"e{j}",
                 "schema": "Person" if kind == "person" else "Company", "name": name, "names": [],
                 "countries": [], "birth_dates": [], "identifiers": []})
listed = pd.DataFrame(ents)
t = time.perf_counter(); S.analyse("Warm Up", "person"); load_s = time.perf_counter() - t  # rigour's tagger
t = time.perf_counter(); index = S.prepare(listed); prepare_s = time.perf_counter() - t
t = time.perf_counter(); hits = S.screen(subj, index); screen_s = time.perf_counter() - t
found = set(zip(hits["subject"], hits["entity_id"]))
rec = sum((k, v) in found for k, v in planted.items()) / len(planted)
print(json.dumps({"hard_share": hard_share, "subjects": len(subj), "parties": len(parties),
                  "officers": int(officers["person"].nunique()), "entities": len(listed),
                  "listed_names": len(index.names), "read_s": round(read_s, 2),
                  "rigour_load_s": round(load_s, 2), "prepare_s": round(prepare_s, 2),
                  "screen_s": round(screen_s, 2), "hits": len(hits),
                  "planted": len(planted), "planted_recall": round(rec, 4),
                  "subjects_with_a_hit": int(hits["subject"].nunique()),
                  "rss_after_read_mb": round(rss_read), "peak_rss_mb": round(rss_mb())}))
"""


def _child(code: str, *args: str) -> dict:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                       check=False)
    if p.returncode != 0:
        raise RuntimeError(f"child failed:\n{p.stderr[-4000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["_wall_s"] = round(time.perf_counter() - t, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--entities", type=int, default=10_000)
    ap.add_argument("--hard-share", type=float, default=0.2,
                    help="share of the list made of the world's own name words (homonyms)")
    ap.add_argument("--data", type=Path, default=Path("/tmp/tamga-bench-screen"))
    a = ap.parse_args()
    bundle = a.data / f"world-{a.rows}"
    res: dict = {"rows": a.rows, "at": datetime.now(UTC).isoformat()}
    if not (bundle / "parties.csv").exists():
        res["world"] = _child(WORLD, str(bundle), str(a.rows))
    res["screen"] = _child(SCREEN, str(bundle), str(a.entities), str(a.hard_share))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"screening-{a.rows}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(res, indent=1))
    print(json.dumps(res["screen"], indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
