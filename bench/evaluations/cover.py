"""Cover-item evaluation on simulated worlds (`ingest.simulate.generate_world`): precision and
recall at K = the number of planted, uncaught cover items, on seeds and sizes the code never saw.

`frames_from_bundle` reads a bundle's CSVs straight into `Frames` columns (no store), so the
evaluation measures the algorithm alone; the product path is `ingest_bundle` + `Frames.from_store`,
which yields the same columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from graph.declarations.cover import flag_cover_items, learn_cover_pairs
from graph.store.frames import COLUMNS, ROLE_COLUMNS, Frames


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    for suffix in (".csv", ".csv.gz", ".parquet"):
        p = folder / f"{name}{suffix}"
        if p.exists():
            if suffix == ".parquet":
                return pd.read_parquet(p)
            return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    return None


def _read_required(folder: Path, name: str) -> pd.DataFrame:
    df = _read(folder, name)
    if df is None:
        raise FileNotFoundError(f"{folder} has no {name}.csv, .csv.gz or .parquet")
    return df


def frames_from_bundle(folder: Path, source: str = "sim") -> Frames:
    """Declarations, parties and offences of a contract bundle as `Frames` (keys `source:id`)."""
    folder = Path(folder)
    d = _read_required(folder, "declarations")
    item = d["item_no"].fillna("1") if "item_no" in d else pd.Series("1", index=d.index)
    decl = pd.DataFrame({
        "key": source + ":" + d["declaration_id"] + "/" + item,
        "declaration_key": source + ":" + d["declaration_id"],
        "declaration_id": d["declaration_id"], "item_no": pd.to_numeric(item),
        "date": pd.to_datetime(d["date"]),
    })
    for c in COLUMNS["declarations"]:
        if c in decl:
            continue
        if c in ROLE_COLUMNS:
            src = d.get(f"{c}_id")
            decl[c] = (source + ":" + src).where(src.notna()) if src is not None else None
        elif c in ("customs_value", "net_mass_kg", "gross_mass_kg", "quantity", "duty_rate", "duty_amount"):
            decl[c] = pd.to_numeric(d[c], errors="coerce") if c in d else float("nan")
        else:
            decl[c] = d.get(c, None)
    p = _read_required(folder, "parties")
    parties = pd.DataFrame({"key": source + ":" + p["party_id"], "party_id": p["party_id"], "source": source})
    for c in COLUMNS["parties"]:
        if c not in parties:
            parties[c] = p.get(c, None)
    for c in ("registered_on", "deregistered_on"):
        parties[c] = pd.to_datetime(parties[c], errors="coerce")
    o = _read(folder, "offences")
    if o is not None and len(o):
        off = pd.DataFrame({
            "key": source + ":" + o["offence_id"], "offence_id": o["offence_id"],
            "date": pd.to_datetime(o["date"]),
            "party": source + ":" + o["party_id"],
            "declaration_key": (source + ":" + o["declaration_id"]).where(o["declaration_id"].notna()),
        })
        for c in COLUMNS["offences"]:
            if c not in off:
                off[c] = o.get(c, None)
        off["evaded_amount"] = pd.to_numeric(off["evaded_amount"], errors="coerce")
    else:
        off = None
    f = Frames(declarations=decl[list(COLUMNS["declarations"])], parties=parties[list(COLUMNS["parties"])])
    if off is not None:
        f.offences = off[list(COLUMNS["offences"])]
    return f


def evaluate_world(folder: Path, *, source: str = "sim") -> dict:
    """Precision and recall at K (K = planted uncaught cover items) and the pairs learnt vs planted."""
    folder = Path(folder)
    truth = json.loads((folder / "truth.json").read_text())
    frames = frames_from_bundle(folder, source)
    pairs = learn_cover_pairs(frames)
    flags = flag_cover_items(frames, pairs, min_score=0.0)
    planted = {f"{source}:{k}" for k in truth["cover"]["planted_declarations"]}
    k = len(planted)
    top = flags.head(k)
    tp = int(top["key"].isin(planted).sum())
    true_pairs = {tuple(p) for p in truth["cover"]["pairs"]}
    learnt = {(a, b) for a, b in zip(pairs["declared_hs"], pairs["actual_hs"], strict=True)}
    above = flags[flags["score"] >= 0.5]
    right_goods = top[top["key"].isin(planted)]
    return {
        "seed": truth.get("seed"), "declarations": len(frames.declarations), "planted": k,
        "caught": len(truth["cover"]["caught_declarations"]),
        "precision_at_k": round(tp / k, 4) if k else None, "recall_at_k": round(tp / k, 4) if k else None,
        "flagged_score_ge_0.5": len(above),
        "precision_score_ge_0.5": round(float(above["key"].isin(planted).mean()), 4) if len(above) else None,
        "recall_score_ge_0.5": round(float(above["key"].isin(planted).sum() / k), 4) if k else None,
        "suspected_goods_right": round(float(
            (right_goods["declared_hs"] + ">" + right_goods["suspected_hs"]).isin(
                {f"{a}>{b}" for a, b in true_pairs}).mean()), 4) if len(right_goods) else None,
        "pairs_planted": len(true_pairs), "pairs_learnt": len(learnt),
        "pairs_learnt_true": len(learnt & true_pairs),
    }


def assessment_on_world(folder: Path, *, split: str | None = None, source: str = "sim") -> dict:
    """What each feature set of the assessment adds on a simulated world that has rings.

    Fit before `split` (default: 70 % of the period), score the later labelled items once, per
    feature set (own, party, network, and the `auto` choice), as AUC and precision/recall at 5 %.
    """
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from graph.declarations import assessment as A

    frames = frames_from_bundle(folder, source)
    d = frames.declarations
    dates = pd.to_datetime(d["date"])
    cut = pd.Timestamp(split) if split else dates.quantile(0.7).normalize()
    lab = A.labels(frames)
    later = (dates >= cut).to_numpy() & lab["y"].notna().to_numpy()
    y = lab["y"].to_numpy()[later]
    out = {"cut": str(cut.date()), "later_labelled": int(later.sum()), "later_hits": int(y.sum())}
    for fs in ("own", "party", "network", "auto"):
        model = A.fit(frames, None, as_of=cut, feature_set=fs)
        s = A.assess_all(frames, None, model, with_reasons=False)["model_score"].to_numpy()[later]
        k = max(round(0.05 * len(s)), 1)
        top = np.argsort(-s, kind="stable")[:k]
        out[fs] = {"auc": round(float(roc_auc_score(y, s)), 4),
                   "precision@5%": round(float(y[top].mean()), 4),
                   "recall@5%": round(float(y[top].sum() / max(y.sum(), 1)), 4), "chosen": model.feature_set,
                   "tune_auc": model.metrics.get("tune_auc")}
    return out
