"""Trader categories: every month, each trader (resolved entity) is low, medium or high risk.

Why (Kazakhstan categorises traders monthly; Uzbekistan rates businesses on many criteria): control is
differentiated per category of trader, so the category must rest on what is known about the trader at
the end of each month, say why, and keep its history. The score of an entity at the end of month m is
a noisy-OR of four parts, each in [0, 1]:

- offences: each offence recorded by then, weighed by the duty it evaded (log scale: a paperwork slip
  0.02, tens of thousands evaded ~0.3), its status (a suspicion counts half) and its age (half-life a
  year), combined as a noisy-OR;
- network risk: the entity's stored network risk (the run's; the network is not rebuilt per month);
- inspections: violations among the trader's inspected items of the last twelve months, smoothed
  (v / (n + 4)), so one violation in many clear inspections weighs little;
- profile hits: the share of the trader's items of the last twelve months a risk profile selected,
  smoothed likewise, at a twentieth (a profile is a suspicion, not a finding: a trader of risk goods
  whose every item a goods profile selects reaches medium at most on that alone).

`high` at or above `high` (settings `category_high`, 0.1), `medium` at or above `medium` (0.03), else
`low`. The cuts are on the network risk's scale, which is compressed: on the seeded 6k-row world (seed
11) honest firms without an offence score at most 0.025, clean ring members 0.13-0.36, phoenix
successors 0.16-0.27. Only
entities with an item by the end of the month are categorised (a successor is not categorised before
it trades). The history is append-only in the store as change points (`TraderCategory`, one node per
entity and month in which its category changed, its first month included, written once): a later run
adds only the months after the last stored one (`new_change_points`), so the past stays as it was
categorised then. Why change points and not
every month: at 1M items that is 1.5M nodes a run for 64k traders (measured: 5 GB in the analytics
process and minutes of writing), while honest traders, the most, rarely change; `as_of` reads the
category of any month back from them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from graph.domain.reasons import Evidence, Reason
from graph.domain.vocabulary import OffenceStatus, liable_party
from graph.engine.stats import noisy_or

CATEGORIES = ("low", "medium", "high")
HALF_LIFE_DAYS = 365.0
WINDOW_DAYS = 365
PROFILE_WEIGHT = 0.05
COLUMNS = ["entity", "month", "category", "score", "reasons"]


def offence_severity(evaded: float) -> float:
    """An offence's weight from the duty it evaded, on the network risk's scale (log: 0.02 for none,
    ~0.17 at 300, ~0.26 at 10^4, ~0.32 at 10^5)."""
    return min(1.0, 0.02 + math.log10(1.0 + max(float(evaded or 0.0), 0.0)) * 0.06)


def _entity(parties: pd.Series, entity_of: pd.Series | None) -> pd.Series:
    """Each party's entity (the party itself where it has none; missing where the party is). Looked up
    once per distinct party, not per row: a map over 1M arrow strings took 1.1 s."""
    if entity_of is None:
        return parties.astype(object)
    code, distinct = pd.factorize(parties)
    u = pd.Series(np.asarray(distinct, dtype=object), dtype=object)
    ent = u.map(entity_of).fillna(u).to_numpy(dtype=object)
    out = np.full(len(parties), np.nan, dtype=object)
    out[code >= 0] = ent[code[code >= 0]]
    return pd.Series(out, index=parties.index, dtype=object)


def month_ends(dates: pd.Series) -> list[pd.Period]:
    """The months of the data, first to last."""
    d = pd.to_datetime(dates, errors="coerce").dropna()
    if d.empty:
        return []
    return list(pd.period_range(d.min().to_period("M"), d.max().to_period("M"), freq="M"))


def category_of(score: float, high: float, medium: float) -> str:
    return "high" if score >= high else "medium" if score >= medium else "low"


def trader_categories(frames, entity_of: pd.Series | None, party_risk: pd.Series | None,
                      fired: list[list[str]] | None = None, *, high: float = 0.1, medium: float = 0.03,
                      months: list[pd.Period] | None = None, changes_only: bool = False) -> pd.DataFrame:
    """The category of every trading entity at the end of every month of the data (or `months`);
    with `changes_only`, only the months in which an entity's category changed (its first included),
    what the store keeps.

    `entity_of`: party key -> entity id; `party_risk`: party key -> network risk; `fired`: per item of
    `frames.declarations`, the ids of the profiles that selected it. Returns entity, month ("YYYY-MM"),
    category, score, reasons (a list of `Reason` dicts), in entity then month order.

    Vectorised over entities (integer codes, `np.bincount` per month over a date-sorted window) and
    Python only for the rows it returns: at 1M items and 64k traders the per-entity pandas version
    took 24 s a run (measured), most of it in per-entity lookups of rows it then did not keep.
    """
    d = frames.declarations
    if d.empty:
        return pd.DataFrame(columns=COLUMNS)
    trader = _entity(liable_party(d["consignee"], d["declarant"]), entity_of)
    date = pd.to_datetime(d["date"], errors="coerce").to_numpy(dtype="datetime64[ns]")
    profiled = (np.array([bool(f) for f in fired], dtype=bool)
                if fired is not None and len(fired) == len(d) else np.zeros(len(d), dtype=bool))
    ok = trader.notna().to_numpy() & ~np.isnat(date)
    codes, names = pd.factorize(pd.Series(trader.to_numpy()[ok], dtype=object), sort=True)
    n_ent = len(names)
    if not n_ent:
        return pd.DataFrame(columns=COLUMNS)
    order = np.argsort(date[ok], kind="stable")  # items by date: a month's window is one slice
    it_date = date[ok][order]
    it_code = codes[order]
    result = d["inspection_result"]
    it_insp = result.isin(["clear", "violation"]).to_numpy(dtype=bool)[ok][order].astype(float)
    it_viol = (result == "violation").fillna(False).to_numpy(dtype=bool)[ok][order].astype(float)
    it_prof = profiled[ok][order].astype(float)
    first = np.full(n_ent, np.datetime64("NaT", "ns"))
    first_pos = np.unique(it_code, return_index=True)  # the first (earliest) item of every entity
    first[first_pos[0]] = it_date[first_pos[1]]

    o = frames.offences
    off_code = np.empty(0, dtype=np.int64)
    off_date = np.empty(0, dtype="datetime64[ns]")
    off_w = np.empty(0, dtype=float)
    off_type = np.empty(0, dtype=object)
    off_evaded = np.empty(0, dtype=float)
    if o is not None and not o.empty:
        st = o["status"].astype(object).fillna("confirmed").map(
            lambda x: OffenceStatus(x).weight if x in ("suspected", "confirmed") else 1.0)
        evaded = o["evaded_amount"].astype(float).fillna(0.0)
        offs = pd.DataFrame({"entity": _entity(o["party"], entity_of).to_numpy(),
                             "date": pd.to_datetime(o["date"], errors="coerce").to_numpy(),
                             "w": (evaded.map(offence_severity) * st.astype(float)).to_numpy(),
                             "type": o["offence_type"].astype(object).to_numpy(),
                             "evaded": evaded.to_numpy()}).dropna(subset=["entity", "date"])
        oc = names.get_indexer(offs["entity"])  # offences of entities that never trade are never read
        offs = offs[oc >= 0]
        off_code = oc[oc >= 0]
        off_date = offs["date"].to_numpy(dtype="datetime64[ns]")
        off_w = offs["w"].to_numpy(dtype=float)
        off_type = offs["type"].to_numpy(dtype=object)
        off_evaded = offs["evaded"].to_numpy(dtype=float)
    # each entity's offences (in the ledger's order) as one slice, for its reasons
    by_code = np.argsort(off_code, kind="stable")
    off_start = np.searchsorted(off_code[by_code], np.arange(n_ent + 1), side="left")
    summaries: dict[tuple[int, int], tuple[str, float]] = {}

    def offence_summary(j: int, end: np.datetime64, n: int) -> tuple[str, float]:
        # the offences before `end` are the entity's n earliest (the set grows with the month), so
        # (entity, n) names them: a later change point with no new offence reuses the text
        got = summaries.get((j, n))
        if got is None:
            mine = by_code[off_start[j]:off_start[j + 1]]
            mine = mine[off_date[mine] < end]
            got = summaries[(j, n)] = (_type_counts(off_type[mine]), float(off_evaded[mine].sum()))
        return got
    net = np.zeros(n_ent)
    if party_risk is not None and len(party_risk):
        e = _entity(pd.Series(party_risk.index, dtype=object), entity_of)
        pc = names.get_indexer(e)
        r = party_risk.to_numpy(dtype=float)
        np.maximum.at(net, pc[pc >= 0], np.nan_to_num(r[pc >= 0], nan=0.0))

    def per_entity(values: np.ndarray, at: np.ndarray) -> np.ndarray:
        return np.bincount(at, weights=values, minlength=n_ent)

    day = np.timedelta64(1, "D")
    last = np.full(n_ent, -1, dtype=np.int8)  # each entity's last category (-1: none yet)
    names_arr = names.to_numpy(dtype=object)
    out: list[dict[str, Any]] = []
    for m in months if months is not None else month_ends(pd.Series(it_date)):
        end = (m.to_timestamp(how="end").normalize() + pd.Timedelta(days=1)).to_datetime64()
        since = end - np.timedelta64(WINDOW_DAYS, "D")
        active = first < end
        if not active.any():
            continue
        lo, hi = np.searchsorted(it_date, [since, end], side="left")
        w = slice(lo, hi)
        n_items = np.bincount(it_code[w], minlength=n_ent)
        n_insp = per_entity(it_insp[w], it_code[w])
        n_viol = per_entity(it_viol[w], it_code[w])
        n_prof = per_entity(it_prof[w], it_code[w])
        past = off_date < end
        age = ((end - off_date[past]) // day).astype(float)
        x = off_w[past] * 0.5 ** (age / HALF_LIFE_DAYS)
        # the product of (1 - x) per entity, as a sum of logs
        kept = np.exp(per_entity(np.log1p(-np.minimum(x, 1.0 - 1e-12)), off_code[past]))
        off_part = 1.0 - kept
        off_n = np.bincount(off_code[past], minlength=n_ent)
        insp_part = np.minimum(n_viol / (n_insp + 4), 1.0)
        prof_part = np.minimum(n_prof / (n_items + 4), 1.0) * PROFILE_WEIGHT
        score = noisy_or(off_part, net, insp_part, prof_part)
        cat = np.where(score >= high, 2, np.where(score >= medium, 1, 0)).astype(np.int8)
        keep = active & (cat != last) if changes_only else active
        last[active] = cat[active]
        month = str(m)
        for j in np.flatnonzero(keep):
            e = names_arr[j]
            n_off = int(off_n[j])
            out.append({"entity": e, "month": month, "score": round(float(score[j]), 4),
                        "category": CATEGORIES[int(cat[j])],
                        "reasons": _reasons(e, float(off_part[j]), n_off, float(net[j]),
                                            int(n_viol[j]), int(n_insp[j]), int(n_prof[j]),
                                            int(n_items[j]),
                                            offence_summary(int(j), end, n_off) if n_off else None)})
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(out, columns=COLUMNS).sort_values(["entity", "month"], kind="stable",
                                                          ignore_index=True)


def _type_counts(types: np.ndarray) -> str:
    """"type n, ..." most frequent first, ties in the order first seen, missing types left out (what
    pandas' value_counts gives, without a frame per reason: 1.4 s of 3.6 at 1M items)."""
    counts: dict[str, int] = {}
    for t in types:
        if not pd.isna(t):
            counts[str(t)] = counts.get(str(t), 0) + 1
    return ", ".join(f"{t} {n}" for t, n in sorted(counts.items(), key=lambda tn: -tn[1]))


def _reasons(entity: str, off: float, off_n: int, net: float, viol: int, insp: int, prof: int, items: int,
             offences: tuple[str, float] | None) -> list[dict[str, Any]]:
    """`offences`: the entity's offences so far, as their type counts and the duty they evaded."""
    ev = (Evidence("entity", str(entity)),)
    rs = []
    if off_n and offences is not None:
        types, evaded = offences
        rs.append(Reason("offences", f"{off_n} recorded offences ({types}), duty evaded "
                         f"{evaded:.0f}, weighed by amount, status and age",
                         round(off, 4), None, ev))
    if net > 0:
        rs.append(Reason("network_risk", f"network risk {net:.2f}", round(net, 4), None, ev))
    if insp:
        rs.append(Reason("inspections", f"{viol} violations in {insp} inspections of the last twelve months",
                         viol, None, ev))
    if prof:
        rs.append(Reason("profile_hits", f"{prof} of {items} items of the last twelve months selected by a "
                         "risk profile", prof, None, ev))
    if not rs:
        rs.append(Reason("no_findings", "no offence, network risk, violation or profile hit", 0, None, ev))
    return [r.as_dict() for r in rs]


def month_number(month: pd.Series) -> np.ndarray:
    """"YYYY-MM" -> year * 12 + month - 1 (an ordered integer; -1 where not a month)."""
    m = month.astype(str)
    ok = m.str.fullmatch(r"\d{4}-\d{2}")
    y = pd.to_numeric(m.str[:4].where(ok), errors="coerce")
    mm = pd.to_numeric(m.str[5:7].where(ok), errors="coerce")
    return (y * 12 + mm - 1).fillna(-1).astype(np.int64).to_numpy()


def as_of(changes: pd.DataFrame, entity: pd.Series, month: pd.Series) -> pd.Series:
    """The category of each (entity, month "YYYY-MM") from stored change points: the latest change at
    or before that month (NaN before the entity's first)."""
    q = pd.DataFrame({"entity": entity.astype(object).to_numpy(), "n": month_number(month),
                      "i": np.arange(len(entity))})
    if changes is None or changes.empty or q.empty:
        return pd.Series(np.full(len(q), np.nan, dtype=object), index=entity.index, dtype=object)
    c = pd.DataFrame({"entity": changes["entity"].astype(object).to_numpy(),
                      "n": month_number(changes["month"]), "category": changes["category"].to_numpy()})
    got = pd.merge_asof(q.dropna(subset=["entity"]).sort_values("n"), c.sort_values("n"), on="n",
                        by="entity", direction="backward")
    out = np.full(len(q), np.nan, dtype=object)
    out[got["i"].to_numpy()] = got["category"].to_numpy()
    return pd.Series(out, index=entity.index, dtype=object)


def every_month(changes: pd.DataFrame, last_month: str) -> pd.DataFrame:
    """Change points back to one row per entity and month, up to `last_month` (for stability)."""
    rows = []
    end = pd.Period(last_month, freq="M")
    for e, g in changes.sort_values(["entity", "month"]).groupby("entity", sort=False):
        ms = [pd.Period(m, freq="M") for m in g["month"]] + [end + 1]
        for (m, c), nxt in zip(zip(ms[:-1], g["category"], strict=True), ms[1:], strict=True):
            rows += [{"entity": e, "month": str(p), "category": c} for p in pd.period_range(m, nxt - 1)]
    return pd.DataFrame(rows, columns=["entity", "month", "category"])


def new_change_points(computed: pd.DataFrame, stored: pd.DataFrame, through: str | None = None,
                      until: str | None = None) -> pd.DataFrame:
    """Of a run's change points (`computed`, rows as `trader_categories(changes_only=True)` gives), the
    ones the store must add: the months after the last stored one, each entity's first new month
    compared with its stored category (so the past stays as it was categorised then, and a re-run over
    the same months adds nothing). `through`: the last month an earlier run categorised (change points
    alone do not say it; default the last stored change); `until`: the last month this run categorised
    (its last change may be earlier). A written row carries the computed row that holds at its month."""
    if stored is None or stored.empty:
        return computed
    if computed.empty:
        return computed
    last = max(str(through or ""), str(stored["month"].max()))
    grid_months = [str(p) for p in pd.period_range(pd.Period(last, freq="M") + 1,
                                                    pd.Period(max(str(until or ""),
                                                                  str(computed["month"].max())), freq="M"))]
    if not grid_months:
        return computed.iloc[0:0]
    ents = pd.unique(computed["entity"])
    grid = pd.DataFrame({"entity": np.repeat(ents, len(grid_months)),
                         "month": np.tile(np.array(grid_months, dtype=object), len(ents))})
    src = computed.reset_index(drop=True)
    holds = as_of(src.assign(category=np.arange(len(src))), grid["entity"], grid["month"])
    grid = grid.assign(row=holds.to_numpy()).dropna(subset=["row"])
    grid["category"] = src["category"].to_numpy()[grid["row"].astype(int).to_numpy()]
    before = as_of(stored, pd.Series(ents), pd.Series([last] * len(ents)))
    prev = grid.groupby("entity", sort=False)["category"].shift()
    first = prev.isna()
    prev[first] = grid.loc[first, "entity"].map(dict(zip(ents, before.to_numpy(), strict=True)))
    changed = grid[(grid["category"] != prev).to_numpy()]
    rows = src.iloc[changed["row"].astype(int).to_numpy()].reset_index(drop=True)
    return rows.assign(month=changed["month"].to_numpy())


def current(categories: pd.DataFrame) -> pd.Series:
    """Entity -> its category in the latest month it was categorised."""
    if categories is None or categories.empty:
        return pd.Series(dtype=object)
    last = categories.sort_values(["entity", "month"]).drop_duplicates("entity", keep="last")
    return pd.Series(last["category"].to_numpy(), index=last["entity"].to_numpy(), dtype=object)


def confusion(categories: pd.DataFrame, truth_class: pd.Series) -> pd.DataFrame:
    """Counts of entity-months per (true class, category): `truth_class` maps entity -> a class name."""
    x = categories.assign(truth=categories["entity"].map(truth_class)).dropna(subset=["truth"])
    return pd.crosstab(x["truth"], x["category"]).reindex(columns=list(CATEGORIES), fill_value=0)


def stability(categories: pd.DataFrame, entities) -> float:
    """Share of month-to-month steps (same entity, consecutive months) whose category did not change."""
    x = categories[categories["entity"].isin(set(entities))].sort_values(["entity", "month"])
    same = x["entity"] == x["entity"].shift()
    steps = same.sum()
    kept = (same & (x["category"] == x["category"].shift())).sum()
    return float(kept / steps) if steps else 1.0
