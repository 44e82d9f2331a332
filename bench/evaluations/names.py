"""The screening matcher measured on outside name sets (OpenSanctions' own test material).

- `name_bench_cases.csv` (nomenklatura contrib/name_bench): 826 labelled name pairs (persons,
  companies, vessels; scripts, orders, typos, near-misses). Each pair is scored with
  `graph.network.screening.name_similarity`; the threshold is *chosen here* (maximum F1).
- `yente_cgb_positives_un_treated.csv` / `_untreated.csv` (yente candidate-generation benchmark):
  683 UN-sanctions names, row-aligned: row i of the treated file is a perturbed spelling of row i of
  the untreated one. There are no labelled negatives, so the set is used as a screening run: the
  untreated names are the list, every treated name is screened against the whole list (blocking
  included); the aligned row is the true hit, any other row that scores is a false one, and a true
  row that blocking never proposed is a miss. Figures are *reported* here at the threshold chosen
  on the bench cases (so they are out-of-sample), once on names only and once with the files'
  nationality and year of birth as qualifiers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from graph.network import screening

SCHEMA_KIND = {"Person": "person", "Company": "company", "Organization": "company"}


def metrics_at(scores: np.ndarray, labels: np.ndarray, t: float, positives: int | None = None) -> dict:
    """Precision, recall and F1 of `score >= t`; `positives` counts positives not in `scores` too."""
    hit = scores >= t
    tp = int((hit & labels).sum())
    fp = int((hit & ~labels).sum())
    pos = int(labels.sum()) if positives is None else positives
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / pos if pos else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"threshold": round(float(t), 4), "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(f, 4), "tp": tp, "fp": fp, "fn": pos - tp}


def best_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    cands = np.unique(np.round(scores, 4))
    return float(max(cands, key=lambda t: (metrics_at(scores, labels, t)["f1"], t)))


def recall_at_precision(scores: np.ndarray, labels: np.ndarray, precision: float = 0.95,
                        positives: int | None = None) -> dict:
    """The lowest threshold whose precision is at least `precision`, and its recall."""
    best = None
    for t in np.unique(np.round(scores, 4)):
        m = metrics_at(scores, labels, t, positives)
        if m["precision"] >= precision and m["tp"] and (best is None or m["recall"] > best["recall"]):
            best = m
    return best or {"threshold": None, "precision": None, "recall": 0.0, "f1": 0.0}


def score_bench_cases(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["label"] = df["is_match"].str.lower().eq("true")
    df["score"] = [screening.name_similarity(a, b, SCHEMA_KIND.get(s, "entity"))
                   for a, b, s in zip(df["name1"], df["name2"], df["schema"], strict=True)]
    return df


def evaluate_bench_cases(path: Path) -> dict:
    df = score_bench_cases(path)
    s, y = df["score"].to_numpy(), df["label"].to_numpy()
    t = best_f1_threshold(s, y)
    by_schema = {k: metrics_at(g["score"].to_numpy(), g["label"].to_numpy(), screening.THRESHOLD)
                 for k, g in df.groupby("schema")}
    return {"pairs": len(df), "matches": int(y.sum()), "best_f1_threshold": t,
            "at_best_f1": metrics_at(s, y, t), "at_shipped_threshold": metrics_at(s, y, screening.THRESHOLD),
            "recall_at_p95": recall_at_precision(s, y), "by_schema_at_shipped": by_schema}


def _un_listed(untreated: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "key": [f"un:{i}" for i in range(len(untreated))], "list": "un", "entity_id": [str(i) for i in
                                                                                       range(len(untreated))],
        "schema": "Person", "name": untreated["full_name"], "names": [[] for _ in range(len(untreated))],
        "countries": [[c] if c else [] for c in untreated["nationality"]],
        "birth_dates": [[d] if d else [] for d in untreated["date_of_birth"]],
        "identifiers": [[] for _ in range(len(untreated))],
    })


def evaluate_un(treated_path: Path, untreated_path: Path, threshold: float) -> dict:
    tr = pd.read_csv(treated_path, dtype=str, keep_default_na=False)
    un = pd.read_csv(untreated_path, dtype=str, keep_default_na=False)
    if len(tr) != len(un):
        raise ValueError(f"{treated_path} and {untreated_path} are not row-aligned "
                         f"({len(tr)} vs {len(un)} rows)")
    index = screening.prepare(_un_listed(un))
    out: dict[str, object] = {"names": len(tr),
                              "identical_spellings": int((tr["full_name"] == un["full_name"]).sum())}
    for mode in ("names_only", "with_country_and_birth_year"):
        q = pd.DataFrame({"key": [str(i) for i in range(len(tr))], "kind": "person", "name": tr["full_name"],
                          "country": tr["nationality"] if mode != "names_only" else None,
                          "tax_id": None,
                          "birth_date": tr["date_of_birth"] if mode != "names_only" else None})
        hits = screening.screen(q, index, threshold=0.0)
        s = hits["score"].to_numpy()
        y = (hits["subject"] == hits["entity_id"]).to_numpy()
        perturbed = set(np.flatnonzero((tr["full_name"] != un["full_name"]).to_numpy()).astype(str))
        tp_perturbed = hits[y & (hits["score"].to_numpy() >= threshold)
                            & hits["subject"].isin(perturbed).to_numpy()]
        out[mode] = {"candidate_pairs": len(hits), "true_rows_proposed": int(y.sum()),
                     "recall_of_perturbed_spellings": round(len(tp_perturbed) / len(perturbed), 4),
                     "at_threshold": metrics_at(s, y, threshold, positives=len(tr)),
                     "recall_at_p95": recall_at_precision(s, y, positives=len(tr))}
    return out


def evaluate(root: Path) -> dict:
    ftm = root / "ftm"
    bench = evaluate_bench_cases(ftm / "name_bench_cases.csv")
    return {"threshold": screening.THRESHOLD, "bench_cases": bench,
            "un": evaluate_un(ftm / "yente_cgb_positives_un_treated.csv",
                              ftm / "yente_cgb_positives_un_untreated.csv", screening.THRESHOLD)}
