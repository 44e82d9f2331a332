"""The risk-profile context of a scoring run: what profile criteria read about parties and the network.

`graph.declarations.profiles.apply_profiles` evaluates profiles over the declarations frame; the
party attributes it reads (entity risk, linked group, phoenix successor, registration date, hops to
the nearest offender) come from the network results, built here once per run; the watchlist ones
from the live screening hits the run read (`watchlist_tables`, the rule `POST /assess` uses too).
`POST /assess` reads the same values from the stored party properties
(`graph.pipeline.profile_store.store_context`), which the run writes, so the two paths see the same
numbers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from graph.declarations import goods
from graph.declarations.profile_fields import watchlist_tables
from graph.declarations.profiles import Applied, Profile, ProfileContext, apply_profiles
from graph.domain.reasons import Reason

#: hops beyond this are not counted (the criterion `x.offender_hops <= n` is meant for small n)
MAX_HOPS = 6


def offender_hops(n_entities: int, a: np.ndarray, b: np.ndarray, seeds: np.ndarray,
                  max_hops: int = MAX_HOPS) -> np.ndarray:
    """Per entity: the fewest entity-to-entity links (shared identifiers or officers) to an entity with
    an enforcement record (0 for the offender itself); NaN when none is within `max_hops`."""
    out = np.full(n_entities, np.nan)
    src = np.flatnonzero(np.asarray(seeds) > 0)
    if n_entities == 0 or len(src) == 0:
        return out
    adj = coo_matrix((np.ones(len(a)), (np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))),
                     shape=(n_entities, n_entities)).tocsr()
    dist = dijkstra(adj, directed=False, indices=src, unweighted=True, min_only=True, limit=max_hops + 0.5)
    ok = np.isfinite(dist)
    out[ok] = dist[ok]
    return out


def entity_offender_hops(r) -> np.ndarray:
    """`offender_hops` over a scoring run's entity links and enforcement seeds, per entity: what the
    profile context reads and what the write-back stores on each Party (`offender_hops`), so that
    `POST /assess` reads the number the batch used."""
    pairs = r.groups.pairs
    return offender_hops(r.projection.n_entities, pairs["a"].to_numpy() if len(pairs) else np.zeros(0),
                         pairs["b"].to_numpy() if len(pairs) else np.zeros(0), r.seeds)


def norms_of(decl: pd.DataFrame, min_count: int = 8) -> dict[int, pd.DataFrame]:
    """The valuation reference of the frame: usual log value per kg per HS6, HS4 and chapter."""
    return {level: goods.hs_norms(decl, level=level, min_count=min_count) for level in (6, 4, 2)}


def profile_context(r, norms: dict[int, pd.DataFrame] | None = None,
                    categories: pd.Series | None = None) -> ProfileContext:
    """The context of a scoring run's `Results` (graph.pipeline.run). `norms`: the valuation reference
    (default: this frame's, `norms_of`); pass the assessment model's `{6: model.norms}` to read the
    same reference as `POST /assess`; `categories`: entity -> current trader category."""
    p = r.projection
    keys = pd.Index(p.party_keys.astype(str))
    ent = np.asarray(p.party_entity, dtype=np.int64)
    gids = r.groups.table["group_id"].to_numpy() if len(r.groups.table) else np.zeros(0, dtype=object)
    g = np.asarray(r.groups.group_of)[ent] if len(ent) else np.zeros(0, dtype=np.int64)
    none = np.full(len(g), None, dtype=object)
    group = pd.Series(np.where(g >= 0, gids[np.maximum(g, 0)] if len(gids) else none, none), index=keys,
                      dtype=object)
    successors = set(r.phoenix["successor"].astype(int)) if len(r.phoenix) else set()
    phoenix = frozenset(str(k) for k, e in zip(keys, ent, strict=True) if int(e) in successors)
    parties = r.frames.parties
    reg = pd.Series(pd.to_datetime(parties["registered_on"], errors="coerce").to_numpy(),
                    index=parties["key"].astype(str)) if len(parties) else pd.Series(dtype="datetime64[ns]")
    hops = entity_offender_hops(r)
    return ProfileContext(
        party_risk=r.party_risk().round(6),  # as stored (run.party_rows), so POST /assess reads the same
        party_group=group[group.notna()], phoenix=phoenix,
        registered_on=reg[~reg.index.duplicated()], offender_hops=pd.Series(hops[ent], index=keys).dropna(),
        norms=norms if norms is not None else norms_of(r.frames.declarations),
        party_category=party_categories(r.resolution.entity_of, categories),
        watchlist=watchlist_tables(r.screening))


def party_categories(entity_of: pd.Series, categories: pd.Series | None) -> pd.Series:
    """Party key -> the trader category of its entity (parties of uncategorised entities left out)."""
    if categories is None or not len(categories):
        return pd.Series(dtype=object)
    out = entity_of.astype(object).map(categories)
    return out[out.notna()]


def apply_to_results(r, profiles: list[Profile], *, norms: dict[int, pd.DataFrame] | None = None,
                     on: dt.date | None = None, categories: pd.Series | None = None) -> Applied:
    """The profiles over a scoring run's items beside the model: the run's assessment (if the model
    was fitted) gets the strictest lane and one stored reason (a dict) per fired profile appended.
    Returns what `apply_profiles` gave (lanes aligned with `r.frames.declarations`)."""
    d = r.frames.declarations
    a = r.declarations.get("assessment")
    model_lanes = a["lane"].to_numpy() if a is not None and len(a) == len(d) else None
    out = apply_profiles(d, profile_context(r, norms, categories), profiles, model_lanes, on=on)
    if model_lanes is not None:
        a["lane"] = out.lanes.to_numpy()
        a["assessment_reasons"] = [list(old or []) + [x.as_dict() for x in new]
                                   for old, new in zip(a["assessment_reasons"], out.reasons, strict=True)]
    return out


#: how strongly a fired profile's action weighs its item's duties in an alert's priority
#: (graph.pipeline.alerts); strictest first
ACTION_WEIGHT = {"red": 1.0, "yellow": 0.6, "blue": 0.4, "green": 0.2}


def strictest_action(fired: list[Reason]) -> str:
    """The strictest action among fired profiles' reasons (their value is the profile's action)."""
    order = list(ACTION_WEIGHT)
    actions = [str(x.value) for x in fired if str(x.value) in ACTION_WEIGHT]
    return min(actions, key=order.index) if actions else "green"


def profile_hits(decl: pd.DataFrame, applied: Applied | None) -> pd.DataFrame:
    """The items some profile fired on: key, the strictest action of the profiles that fired (not
    the model's lane), their ids and their reasons (dicts); what the write-back stores on the item
    and the alerts read. Empty when no profile fired (the stored hits of earlier runs are cleared)."""
    cols = ["key", "action", "profiles", "reasons"]
    if applied is None or not any(applied.fired):
        return pd.DataFrame(columns=cols)
    rows = []
    keys = decl["key"].to_numpy()
    for i in (i for i, f in enumerate(applied.fired) if f):
        rows.append({"key": str(keys[i]), "action": strictest_action(applied.reasons[i]),
                     "profiles": list(applied.fired[i]),
                     "reasons": [x.as_dict() for x in applied.reasons[i]]})
    return pd.DataFrame(rows, columns=cols)
