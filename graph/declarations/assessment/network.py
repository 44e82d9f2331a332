"""Network features of the assessment: risk from past violations carried over the party
co-occurrence graph of earlier declarations (two hops, monthly snapshots).

Not `graph.network.risk`: that is PageRank over resolved entities with all offences (it would leak
the labels as a training feature); this is a time-respecting neighbour mean of party hit rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graph.declarations.assessment.features import _smoothed
from graph.domain.vocabulary import PARTY_ROLE_NAMES
from graph.engine.stats import role_codes


def _party_graph(base: pd.DataFrame, mask: np.ndarray, index: pd.Index) -> sp.csr_matrix:
    """Party co-occurrence graph (parties on the same item are linked), weights = shared items."""
    codes = {r: index.get_indexer(base.loc[mask, r].to_numpy(dtype=object)) for r in PARTY_ROLE_NAMES
             if base[r].notna().any()}
    return _party_pairs(codes, len(index))


def neighbour_mean(adj: sp.csr_matrix, seed: np.ndarray, *, hops: int = 2, decay: float = 0.5) -> np.ndarray:
    """Risk of each party's neighbourhood: weighted mean of neighbours' seed risk over `hops` hops,
    hop k weighted decay**(k-1). A party's own seed is not included (that is the party feature)."""
    deg = np.asarray(adj.sum(axis=1)).ravel()
    inv = np.where(deg > 0, 1.0 / np.maximum(deg, 1e-12), 0.0)
    x = seed.astype(float)
    out = np.zeros_like(x)
    wsum = 0.0
    for k in range(hops):
        x = inv * (adj @ x)
        out += decay ** k * x
        wsum += decay ** k
    return out / wsum


def network_snapshot(base: pd.DataFrame, lab: pd.DataFrame, prior: float, until: pd.Timestamp,
                     horizon: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per party, from items dated before `until` (labels known before `until`/`horizon`):
    excess past hit rate (seed), propagated neighbour risk and degree (distinct co-parties)."""
    mask = (base["date"] < until).to_numpy()
    parties = pd.Index(pd.unique(np.concatenate(
        [base.loc[mask, r].dropna().to_numpy(dtype=object) for r in PARTY_ROLE_NAMES])))
    if len(parties) == 0:
        return pd.DataFrame(columns=["seed", "nb_risk", "degree"])
    cut = until if horizon is None else min(until, horizon)
    ev = (lab["y"].notna() & (lab["known_at"] < cut)).to_numpy()
    n = np.zeros(len(parties))
    p = np.zeros(len(parties))
    for r in PARTY_ROLE_NAMES:
        idx = parties.get_indexer(base.loc[ev, r].to_numpy(dtype=object))
        ok = idx >= 0
        np.add.at(n, idx[ok], 1.0)
        np.add.at(p, idx[ok], lab.loc[ev, "y"].to_numpy()[ok])
    seed = _smoothed(n, p, prior) - prior
    adj = _party_graph(base, mask, parties)
    nb = neighbour_mean(adj, seed)
    deg = np.diff(adj.indptr)
    return pd.DataFrame({"seed": seed, "nb_risk": nb, "degree": deg}, index=parties)


def network_features(base: pd.DataFrame, lab: pd.DataFrame, prior: float, *, freq: str = "MS",
                     horizon: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per item and role: neighbour risk of the party, from the snapshot taken at the start of the
    item's period (monthly by default): strictly earlier data only. Degrees stay out of the model
    (they grow with the history, like counts); they are kept in the snapshot for the reasons.

    The snapshots are built incrementally: party keys become integer codes once, the co-occurrence
    graph of month m is that of month m-1 plus the items dated in between, and the seeds are two
    bincounts. Same values as `network_snapshot` at each period start (a test checks them), at a
    fraction of the cost of rebuilding every month from strings (1M items: ~40 snapshots).
    """
    out = pd.DataFrame(index=base.index)
    for r in PARTY_ROLE_NAMES:
        out[f"nb_{r}"] = np.nan
    period = base["date"].dt.to_period("M" if freq == "MS" else freq).dt.start_time
    starts = sorted(period.dropna().unique())
    if not starts:
        return out.drop(columns=list(out.columns))
    # party codes in order of first appearance over the roles: one factorize, no Python strings
    all_codes, keys = role_codes(base, PARTY_ROLE_NAMES)
    n = len(keys)
    codes = dict(zip(PARTY_ROLE_NAMES, all_codes, strict=True))
    date = base["date"].to_numpy(dtype="datetime64[ns]")
    order = np.argsort(date, kind="stable")  # NaT last
    sorted_dates = date[order]
    y = lab["y"].to_numpy(dtype=float)
    known = lab["known_at"].to_numpy(dtype="datetime64[ns]")
    labelled = ~np.isnan(y)
    adj = sp.csr_matrix((n, n))
    present = np.zeros(n, dtype=bool)
    done = 0
    period_codes, period_levels = pd.factorize(period, sort=True)
    rows_of = pd.Series(np.arange(len(base))).groupby(period_codes).indices
    values = {r: out[f"nb_{r}"].to_numpy(dtype=float, copy=True) for r in PARTY_ROLE_NAMES}
    for pi, start in enumerate(period_levels):
        until = np.datetime64(pd.Timestamp(start), "ns")
        hi = int(np.searchsorted(sorted_dates, until, "left"))
        new = order[done:hi]
        done = max(done, hi)
        if len(new):
            adj = adj + _party_pairs({r: c[new] for r, c in codes.items()}, n)
            for c in codes.values():
                cn = c[new]
                present[cn[cn >= 0]] = True
        cut = until if horizon is None else min(until, np.datetime64(pd.Timestamp(horizon), "ns"))
        ev = labelled & (known < cut)
        cnt = np.zeros(n)
        pos = np.zeros(n)
        for c in codes.values():
            ce = c[ev]
            ok = ce >= 0
            cnt += np.bincount(ce[ok], minlength=n)
            pos += np.bincount(ce[ok], weights=y[ev][ok], minlength=n)
        nb = neighbour_mean(adj, _smoothed(cnt, pos, prior) - prior)
        nb[~present] = np.nan
        rows = rows_of.get(pi)
        if rows is None:
            continue
        for r, c in codes.items():
            cr = c[rows]
            values[r][rows] = np.where(cr >= 0, nb[np.maximum(cr, 0)], np.nan)
    for r in PARTY_ROLE_NAMES:
        out[f"nb_{r}"] = values[r]
    return out.drop(columns=[c for c in out if out[c].isna().all()])


def _party_pairs(codes: dict[str, np.ndarray], n: int) -> sp.csr_matrix:
    """Symmetric co-occurrence counts of the parties on the same items (codes: role -> party code,
    -1 none)."""
    rows, cols = [], []
    roles = list(codes)
    for i, a in enumerate(roles):
        for b in roles[i + 1:]:
            ca, cb = codes[a], codes[b]
            ok = (ca >= 0) & (cb >= 0) & (ca != cb)
            rows.append(ca[ok])
            cols.append(cb[ok])
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    m = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n)).tocsr()
    return (m + m.T).tocsr()
