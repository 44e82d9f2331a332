"""Structure detectors checked on outside data: money-flow cycles and fan-ins (IBM AMLSim) and
circular or over-subscribed ownership (the KEK media ownership register).

The detectors are pure functions on edge tables, usable on any transaction or ownership table
(payments between parties, officers' shareholdings); the `evaluate_*` functions read the
published files and compare with their labels.

Money flows. A laundering structure moves one sum along a chain of accounts, often split into
several transfers on the same day (structuring). Two signals follow, neither tied to the size of
the amounts: *bursts* (two or more transfers between the same pair in one time step) and *amount
conservation* (the same sum, within a small tolerance, on consecutive hops).
- cycles: strongly connected sets of accounts in the graph of amount-compatible transfers (each
  log-amount band of `width`, with its neighbour band), in the graph of bursts, and in the graph
  of all transfers among accounts that burst (structuring accounts passing money round);
- fan-in: a target receiving bursts from `min_sources`+ distinct sources (and those sources).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

# --------------------------------------------------------------------------- money flows

def _index(tx: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    ids = pd.Index(pd.unique(np.concatenate([tx["src"].to_numpy(), tx["dst"].to_numpy()])))
    return ids, ids.get_indexer(tx["src"].to_numpy()), ids.get_indexer(tx["dst"].to_numpy())


def _scc_members(n: int, s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Component label and size per node for the strongly connected components of (s -> d)."""
    keep = s != d
    a = sp.csr_matrix((np.ones(int(keep.sum())), (s[keep], d[keep])), shape=(n, n))
    _, lab = connected_components(a, directed=True, connection="strong")
    return lab, np.bincount(lab)[lab]


def burst_edges(tx: pd.DataFrame, *, min_repeats: int = 2) -> pd.DataFrame:
    """Pairs with `min_repeats`+ transfers in one time step. tx columns: src, dst, amount, time."""
    g = tx.groupby(["src", "dst", "time"]).agg(count=("amount", "size"),
                                               amount=("amount", "sum")).reset_index()
    return g[(g["count"] >= min_repeats) & (g["src"] != g["dst"])].reset_index(drop=True)


def cycle_accounts(tx: pd.DataFrame, *, width: float = 0.02, min_repeats: int = 2) -> pd.DataFrame:
    """Accounts on directed cycles of amount-compatible transfers or of bursts.

    Returns account, cycle (a label shared by the accounts of one cycle set), size, evidence.
    """
    ids, s, d = _index(tx)
    n = len(ids)
    band = np.floor(np.log(np.maximum(tx["amount"].to_numpy(float), 1e-9)) / width).astype(np.int64)
    found: dict[int, tuple[str, int]] = {}
    for b in np.unique(band):
        m = (band == b) | (band == b + 1)
        if m.sum() < 2:
            continue
        lab, size = _scc_members(n, s[m], d[m])
        for i in np.flatnonzero(size >= 2):
            found.setdefault(int(i), (f"amount~{np.exp(b * width):.2f}:{lab[i]}", int(size[i])))
    be = burst_edges(tx, min_repeats=min_repeats)
    if len(be):
        lab, size = _scc_members(n, ids.get_indexer(be["src"]), ids.get_indexer(be["dst"]))
        for i in np.flatnonzero(size >= 2):
            found.setdefault(int(i), (f"burst:{lab[i]}", int(size[i])))
        # money going round among accounts that structure their transfers (any transfer between them)
        structuring = np.zeros(n, bool)
        structuring[ids.get_indexer(be["src"])] = True
        structuring[ids.get_indexer(be["dst"])] = True
        m = structuring[s] & structuring[d]
        lab, size = _scc_members(n, s[m], d[m])
        for i in np.flatnonzero((size >= 2) & structuring):
            found.setdefault(int(i), (f"structuring:{lab[i]}", int(size[i])))
    evidence = {"amount": "same sum passed round", "burst": "repeated same-step transfers round",
                "structuring": "funds circulate among accounts that split transfers"}
    rows = [{"account": ids[i], "cycle": c, "size": sz, "evidence": evidence[c.split(":")[0].split("~")[0]]}
            for i, (c, sz) in sorted(found.items())]
    return pd.DataFrame(rows, columns=["account", "cycle", "size", "evidence"])


def fan_in_accounts(tx: pd.DataFrame, *, min_sources: int = 2, min_repeats: int = 2) -> pd.DataFrame:
    """Targets receiving bursts from `min_sources`+ distinct sources, and those sources.

    Returns account, role ('target'|'source'), target, sources (distinct burst sources of the target).
    """
    be = burst_edges(tx, min_repeats=min_repeats)
    if be.empty:
        return pd.DataFrame(columns=["account", "role", "target", "sources"])
    k = be.groupby("dst")["src"].nunique()
    targets = k[k >= min_sources]
    rows = [{"account": t, "role": "target", "target": t, "sources": int(c)} for t, c in targets.items()]
    src = be[be["dst"].isin(targets.index)].drop_duplicates(["src", "dst"])
    rows += [{"account": r.src, "role": "source", "target": r.dst, "sources": int(targets[r.dst])}
             for r in src.itertuples(index=False)]
    out = pd.DataFrame(rows, columns=["account", "role", "target", "sources"])
    return out.drop_duplicates("account").reset_index(drop=True)


def _prf(flagged: set, truth: set) -> dict:
    tp = len(flagged & truth)
    return {"flagged": len(flagged), "true_positives": tp,
            "precision": round(tp / len(flagged), 4) if flagged else 0.0,
            "recall": round(tp / len(truth), 4) if truth else 0.0}


def evaluate_amlsim(folder: Path) -> dict:
    """Both detectors on one AMLSim sample, against `nodes.csv:isFraud`.

    `reachable` counts the fraud accounts that take part in any burst or in any transfer between
    two fraud accounts dated at a pattern step: the share of the planted set whose structure is
    in the published transactions at all.
    """
    folder = Path(folder)
    nodes = pd.read_csv(folder / "nodes.csv")
    t = pd.read_csv(folder / "transactions.csv")
    tx = pd.DataFrame({"src": t["sourceNodeId"], "dst": t["targetNodeId"], "amount": t["value"],
                       "time": t["time"]})
    truth = set(nodes.loc[nodes["isFraud"] == 1, "nodeid"])
    cyc = cycle_accounts(tx)
    fan = fan_in_accounts(tx)
    be = burst_edges(tx)
    both = set(cyc["account"]) | set(fan["account"])
    return {
        "accounts": len(nodes), "fraud_accounts": len(truth), "transactions": len(t),
        "bursts": len(be), "burst_accounts_fraud_share": _prf(set(be["src"]) | set(be["dst"]), truth),
        "cycle": _prf(set(cyc["account"]), truth), "cycle_sets": int(cyc["cycle"].nunique()),
        "fan_in": _prf(set(fan["account"]), truth), "fan_in_targets": int((fan["role"] == "target").sum()),
        "either": _prf(both, truth),
    }


# --------------------------------------------------------------------------- ownership

def ownership_loops(edges: pd.DataFrame) -> list[list]:
    """Circular ownership: strongly connected sets of 2+ companies, and self-ownership, in the
    owner -> owned graph (edges columns: owner, owned). Each loop as a sorted list of ids,
    largest first."""
    ids = pd.Index(pd.unique(np.concatenate([edges["owner"].to_numpy(), edges["owned"].to_numpy()])))
    s, d = ids.get_indexer(edges["owner"].to_numpy()), ids.get_indexer(edges["owned"].to_numpy())
    lab, size = _scc_members(len(ids), s, d)
    loops = [sorted(ids[lab == c].tolist()) for c in np.unique(lab[size >= 2])]
    selfs = sorted({ids[i] for i in s[s == d]})
    loops += [[x] for x in selfs if not any(x in lp for lp in loops)]
    return sorted(loops, key=lambda lp: (-len(lp), str(lp)))


def oversubscribed(edges: pd.DataFrame, *, tolerance: float = 0.5) -> pd.DataFrame:
    """Companies whose listed shareholdings add up to more than 100 % + `tolerance` points.

    edges columns: owner, owned, share (percent). Returns owned, total_share, holders, sorted.
    """
    e = edges.dropna(subset=["share"])
    g = e.groupby("owned").agg(total_share=("share", "sum"), holders=("owner", "nunique"))
    out = g[g["total_share"] > 100.0 + tolerance].reset_index()
    return out.sort_values(["total_share", "owned"], ascending=[False, True]).reset_index(drop=True)


def evaluate_kek(folder: Path) -> dict:
    """Loops and over-subscribed companies in the KEK register, with the companies' names."""
    folder = Path(folder)
    comp = pd.read_csv(folder / "company.csv", usecols=["id", "name"])
    sh = pd.read_csv(folder / "shares.csv")
    edges = pd.DataFrame({"owner": sh["shareholder"], "owned": sh["owns"],
                          "share": pd.to_numeric(sh["share"], errors="coerce")})
    names = comp.set_index("id")["name"].to_dict()
    loops = ownership_loops(edges[["owner", "owned"]])
    over = oversubscribed(edges)
    ids = pd.Index(pd.unique(np.concatenate([edges["owner"], edges["owned"]])))
    a = sp.csr_matrix((np.ones(len(edges)), (ids.get_indexer(edges["owner"]),
                                             ids.get_indexer(edges["owned"]))),
                      shape=(len(ids), len(ids)))
    n_groups, lab = connected_components(a, directed=False)
    return {
        "companies_in_shares": len(ids), "weak_groups": int(n_groups),
        "largest_group": int(np.bincount(lab).max()),
        "loops": [{"size": len(lp), "companies": [{"id": int(i), "name": names.get(i)} for i in lp]}
                  for lp in loops],
        "loop_sizes": [len(lp) for lp in loops],
        "oversubscribed": [{"id": int(r.owned), "name": names.get(r.owned),
                            "total_share": round(float(r.total_share), 2),
                            "holders": int(r.holders)} for r in over.itertuples(index=False)],
    }
