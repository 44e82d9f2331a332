"""Network risk: enforcement history propagated through the graph, combined with declared features.

1. Seeds. Each entity's enforcement history: offences weighted by type, amount, status (suspected
   counts half) and age (half-life), inspection violations that no offence record explains, and
   investigators' confirmed-risk / cleared decisions.
2. Propagation. Personalised PageRank from the seeds over one graph of entities and the link
   nodes between them: shared identifiers and officers weighted by specificity (graph.network.groups), and
   trade (declarant, supplier, broker, carrier) weighted by volume and damped by the partner's
   number of trading partners, so mass that reaches a big broker, carrier or business centre is
   spread thin and does not lift its honest neighbours. Every entity also has a fixed way back to
   the seeds (`ground`), so edge weights count in absolute terms: a firm whose only link is a
   business-centre address passes on almost nothing. The exposure of an entity is the PageRank
   mass that reached it through the network, relative to the mean.
3. Score. A declared, weighted list of features (`FEATURES`, each with a docstring the API serves),
   each 0..1; risk_score = sum(weight x value), so every score splits into per-feature
   contributions (the network features' weights normalised to 1; the captured broker and the
   watchlist hit added on top, the sum clipped at 1). Reasons add the evidence: which offenders,
   through which shared identifiers, officers, trade or captured broker.

Length: over 400 lines because the features, their docs and their reasons read one
`Context` and one `FEATURES` list here, so a feature's weight cannot drift from its explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graph.domain.vocabulary import DEFAULT_OFFENCE_STATUS, DecisionKind, OffenceStatus, liable_party
from graph.engine import csr
from graph.engine.stats import damping
from graph.network.brokers import broker_capture, broker_evidence, client_suspicion
from graph.network.groups import Groups, severity
from graph.network.projection import Projection
from graph.network.resolution import Resolution
from graph.store.frames import Frames

#: an offence's weight by type: schemes that evade duty or bring in banned goods weigh most; a
#: documentation offence (a paperwork slip) says little about a network and must not seed it like one
OFFENCE_TYPE_WEIGHT: dict[str, float] = {
    "smuggling": 1.0, "prohibited": 1.0, "misclassification": 0.8, "undervaluation": 0.8, "origin": 0.7,
    "other": 0.5, "documentation": 0.1,
}
#: an offence's weight by status (suspected counts half, see OffenceStatus.weight); a missing status
#: is the contract's default, confirmed
STATUS_WEIGHT: dict[str, float] = {st.value: st.weight for st in OffenceStatus}


@dataclass(frozen=True)
class RiskSettings:
    half_life_years: float = 3.0
    no_duty_weight: float = 0.1  # amount weight of an offence recorded with no duty evaded
    amount_full: float = 1e5  # evaded duty at which an offence has its type's full weight
    violation_weight: float = 0.35  # an inspection violation without an offence record
    confirmed_risk_weight: float = 1.5  # an investigator's confirmed-risk decision
    alpha: float = 0.85  # PageRank: probability to follow an edge rather than jump back to the seeds
    link_weights: dict[str, float] = field(default_factory=lambda: {
        "BankAccount": 1.0, "Phone": 1.0, "Email": 0.9, "Address": 0.8, "Person": 1.0})
    trade_weights: dict[str, float] = field(default_factory=lambda: {
        "declarant": 0.1, "supplier": 0.05, "broker": 0.03, "carrier": 0.01})
    trade_knee: float = 8.0  # a partner with this many trading partners keeps about half of the trade weight
    exposure_scale: float = 20.0  # exposure (PPR / mean) at which the network feature reaches ~0.63
    ground: float = 1.0  # weight of every entity's way back to the seeds: weak links pass on little
    recent_years: float = 2.0  # newness feature: registered within this many years of the data's end
    broker_prior_clients: float = 2.0  # clean pseudo-clients of every broker (graph.network.brokers)


# --------------------------------------------------------------------------- seeds

def amount_weight(evaded: pd.Series, s: RiskSettings | None = None) -> np.ndarray:
    """An offence's weight by the duty it evaded, on a log scale: (log(1 + amount) / log(1 +
    `amount_full`))^2, at least `no_duty_weight`; 0.6 when no amount is recorded. A few hundred evaded
    (an honest slip found at inspection) weighs ~0.2-0.3, tens of thousands (a scheme) ~0.8-1, a
    paperwork offence with nothing evaded `no_duty_weight`."""
    s = s or RiskSettings()
    amount = pd.to_numeric(evaded, errors="coerce").clip(lower=0).to_numpy(dtype=float)
    scaled = np.minimum(1.0, np.log1p(np.nan_to_num(amount)) / np.log1p(s.amount_full)) ** 2
    return np.where(np.isnan(amount), 0.6, np.maximum(scaled, s.no_duty_weight))


def offence_seeds(frames: Frames, proj: Projection, s: RiskSettings | None = None) -> np.ndarray:
    """Enforcement-history weight per entity (0 = no record), see the module docstring."""
    s = s or RiskSettings()
    seeds = np.zeros(proj.n_entities)
    party_pos = pd.Series(np.arange(len(proj.party_keys)), index=proj.party_keys)
    ref = proj.reference_date
    off = frames.offences
    if len(off):
        known = off["party"].isin(party_pos.index)
        off = off[known]
        ent = proj.party_entity[party_pos.loc[off["party"].to_numpy()].to_numpy()]
        tw = off["offence_type"].map(OFFENCE_TYPE_WEIGHT).fillna(0.5).to_numpy()
        sw = off["status"].map(STATUS_WEIGHT).fillna(DEFAULT_OFFENCE_STATUS.weight).to_numpy()
        aw = amount_weight(off["evaded_amount"], s)
        age = ((ref - off["date"]).dt.days.fillna(0).clip(lower=0)).to_numpy() / 365.25
        decay = 0.5 ** (age / s.half_life_years)
        np.add.at(seeds, ent, tw * sw * aw * decay)
    d = frames.declarations
    if len(d):
        viol = d[d["inspection_result"] == "violation"]
        if len(off):
            # a violation whose declaration carries an offence record is weighed once, as that offence
            # (type and amount): counted again at `violation_weight` it made an honest slip of a few
            # hundred seed like a scheme that evaded tens of thousands (issue 12)
            viol = viol[~viol["declaration_key"].isin(off["declaration_key"].dropna())]
        if len(viol):
            age = ((ref - viol["date"]).dt.days.fillna(0).clip(lower=0)).to_numpy() / 365.25
            decay = 0.5 ** (age / s.half_life_years)
            # the liable party answers for a violation (graph.domain.vocabulary.LIABLE_ROLES)
            liable = liable_party(viol["consignee"], viol["declarant"])
            ok = liable.isin(party_pos.index).to_numpy()
            ent = proj.party_entity[party_pos.loc[liable[ok].to_numpy()].to_numpy()]
            np.add.at(seeds, ent, s.violation_weight * decay[ok])
    dec = frames.decisions
    if len(dec):
        for kind, subject in zip(dec["kind"], dec["subject"], strict=True):
            if subject in party_pos.index:
                e = proj.party_entity[party_pos.loc[subject]]
                if kind == DecisionKind.CONFIRMED_RISK:
                    seeds[e] += s.confirmed_risk_weight
                elif kind == DecisionKind.CLEARED:
                    seeds[e] = 0.0
    return seeds


# --------------------------------------------------------------------------- propagation

@dataclass
class Propagation:
    graph: csr.CSR  # entities 0..E-1, then link nodes
    ppr: np.ndarray
    exposure: np.ndarray  # per entity


def propagation_graph(proj: Projection, spec: np.ndarray, s: RiskSettings | None = None) -> csr.CSR:
    """Entities + link nodes, typed weights: links by specificity, trade by volume with hub damping."""
    s = s or RiskSettings()
    E, L = proj.n_entities, proj.n_links
    links = proj.links
    kw = links["kind"].map(s.link_weights).fillna(0.5).to_numpy()
    node = links["node"].to_numpy()
    src = [links["entity"].to_numpy()]
    dst = [E + node]
    w = [kw * spec[node]]
    t = proj.trade
    if len(t):
        partners = np.bincount(np.concatenate([t["a"].to_numpy(), t["b"].to_numpy()]), minlength=E)
        hub = np.maximum(partners[t["a"].to_numpy()], partners[t["b"].to_numpy()])
        tw = t["kind"].map(s.trade_weights).fillna(0.0).to_numpy()
        src.append(t["a"].to_numpy())
        dst.append(t["b"].to_numpy())
        w.append(tw * np.log1p(t["count"].to_numpy()) * damping(hub, s.trade_knee))
    return csr.from_edges(np.concatenate(src), np.concatenate(dst), np.concatenate(w), n=E + L)


def propagate(proj: Projection, spec: np.ndarray, seeds: np.ndarray, s: RiskSettings | None = None,
              graph: csr.CSR | None = None) -> Propagation:
    s = s or RiskSettings()
    g = graph if graph is not None else propagation_graph(proj, spec, s)
    E = proj.n_entities
    pers = np.zeros(g.n)
    pers[:E] = seeds
    ground = np.zeros(g.n)
    ground[:E] = s.ground
    ppr = csr.personalized_pagerank(g, pers, alpha=s.alpha, tol=1e-9, max_iter=100, ground=ground)
    exposure = np.zeros(E)
    if ppr.sum() > 0:
        # only mass that arrived over edges is evidence (the restart mass is the seed itself)
        out_w = csr.strength(g) + ground
        inv = np.divide(1.0, out_w, out=np.zeros_like(out_w), where=out_w > 0)
        arrived = (s.alpha * (g.matrix.T @ (ppr * inv)))[:E]
        mean = arrived.mean()
        if mean > 0:
            exposure = arrived / mean
    return Propagation(graph=g, ppr=ppr, exposure=exposure)


# --------------------------------------------------------------------------- features

@dataclass
class Context:
    """Everything a feature may read."""

    frames: Frames
    proj: Projection
    resolution: Resolution
    seeds: np.ndarray
    groups: Groups
    propagation: Propagation
    phoenix: pd.DataFrame
    settings: RiskSettings
    #: live screening hits of parties and officers (graph.pipeline.screening.live_hits: subject, list,
    #: entity_id, listed_name, score, state); None or empty: no lists, the watchlist feature is 0 everywhere
    screening: pd.DataFrame | None = None


@dataclass(frozen=True)
class Feature:
    name: str
    weight: float
    compute: Callable[[Context], np.ndarray]
    #: outside the normalisation: weight x value is added on top (the sum clipped at 1), so a world
    #: without lists scores exactly as before the feature existed
    additive: bool = False

    @property
    def doc(self) -> str:
        return (self.compute.__doc__ or "").strip()


def own_record(c: Context) -> np.ndarray:
    """The entity's own enforcement history: offences weighted by type, amount, status and age, and
    inspection violations (saturating: one serious recent offence ~0.6, three ~0.95)."""
    return severity(c.seeds)


def network_exposure(c: Context) -> np.ndarray:
    """Risk that reaches the entity through the network from offenders (personalised PageRank over
    shared identifiers, officers and trade, relative to the entity's own connectedness; hubs damped)."""
    return 1.0 - np.exp(-c.propagation.exposure / c.settings.exposure_scale)


def offender_links(c: Context) -> np.ndarray:
    """The strongest direct link to an offender: a specific identifier or officer shared with an
    entity that has an enforcement record (link weight x the offender's severity)."""
    out = np.zeros(c.proj.n_entities)
    p = c.groups.pairs
    if p.empty:
        return out
    sev = severity(c.seeds)
    a, b, w = p["a"].to_numpy(), p["b"].to_numpy(), p["weight"].to_numpy()
    g = c.groups
    if len(g.table):  # within a closed circle a relative's record counts as its group's does
        ga, gb = g.group_of[a], g.group_of[b]
        same = (ga >= 0) & (ga == gb)
        factor = g.table["record_factor"].to_numpy(dtype=float)
        w = np.where(same, w * factor[np.maximum(ga, 0)], w)
    np.maximum.at(out, a, w * sev[b])
    np.maximum.at(out, b, w * sev[a])
    return out


def group_risk(c: Context) -> np.ndarray:
    """The risk of the linked group the entity belongs to (members' enforcement records), shared by
    all members: a shell network is judged as a whole."""
    out = np.zeros(c.proj.n_entities)
    g = c.groups
    if len(g.table):
        risks = g.table["risk"].to_numpy()
        inside = g.group_of >= 0
        out[inside] = risks[g.group_of[inside]]
    return out


def broker_pairs(c: Context) -> pd.DataFrame:
    """Per (client, broker): the broker's capture as this client sees it (graph.network.brokers)."""
    return broker_capture(c.proj, client_suspicion(c.seeds, c.groups), c.groups.pairs,
                          c.settings.broker_prior_clients)


def captured_broker(c: Context) -> np.ndarray:
    """Files through a captured broker: the mean suspicion (own record or linked group's risk) of the
    broker's other clients, counted with two clean pseudo-clients so a hub or a two-client broker stays
    low, times the share of the entity's brokered declarations that go through it and its strongest
    shared identifier or officer with another of the broker's clients; the strongest broker."""
    out = np.zeros(c.proj.n_entities)
    b = broker_pairs(c)
    if len(b):
        np.maximum.at(out, b["client"].to_numpy(dtype=np.int64), b["value"].to_numpy(dtype=float))
    return out


def phoenix_succession(c: Context) -> np.ndarray:
    """Likely successor of a deregistered offender: registered after it, sharing its director, phone,
    bank or address, trading the same goods with the same suppliers."""
    out = np.zeros(c.proj.n_entities)
    if len(c.phoenix):
        out[c.phoenix["successor"].to_numpy().astype(int)] = c.phoenix["score"].to_numpy()
    return out


def newness(c: Context) -> np.ndarray:
    """Recently registered (within `recent_years` of the data's last date): weak on its own, it
    separates fresh shells from established firms when the network evidence ties."""
    reg = pd.to_datetime(c.proj.entities["registered_on"])
    age = (c.proj.reference_date - reg).dt.days.to_numpy() / 365.25
    f = 1.0 - age / c.settings.recent_years
    return np.asarray(np.nan_to_num(np.clip(f, 0.0, 1.0), nan=0.0))


#: a hit on an officer (director, owner, ...) counts this share of a hit on the company itself
OFFICER_HIT_SHARE = 0.6


def watchlist_rows(c: Context) -> pd.DataFrame:
    """The live hits that reach each entity: its parties' own hits, and (as `officer`) the hits of
    the officers of its companies, each with its value (confirmed 1, else the score; an officer's
    times OFFICER_HIT_SHARE). Columns: entity, value, list, entity_id, listed_name, score, state,
    officer, officer_name, role (officer fields None for a party's own hit)."""
    cols = ["entity", "value", "list", "entity_id", "listed_name", "score", "state", "officer",
            "officer_name", "role"]
    h = c.screening
    if h is None or h.empty:
        return pd.DataFrame(columns=cols)
    pos = pd.Series(np.arange(len(c.proj.party_keys)), index=c.proj.party_keys)
    value = np.where(h["state"].to_numpy() == "confirmed", 1.0, h["score"].to_numpy(dtype=float))
    h = h.assign(value=value)
    own = h[h["subject"].isin(pos.index)]
    own = own.assign(entity=c.proj.party_entity[pos.loc[own["subject"].to_numpy()].to_numpy()],
                     officer=None, officer_name=None, role=None)
    parts = [own]
    off = c.frames.officers
    if len(off):
        links = off.loc[off["company"].isin(pos.index), ["person", "person_name", "company", "role"]]
        links = links.drop_duplicates(["person", "company"])
        o = h.merge(links, left_on="subject", right_on="person")
        if len(o):
            o = o.assign(entity=c.proj.party_entity[pos.loc[o["company"].to_numpy()].to_numpy()],
                         value=o["value"] * OFFICER_HIT_SHARE, officer=o["person"],
                         officer_name=o["person_name"])
            parts.append(o)
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    return out.sort_values(["entity", "value"], ascending=[True, False], ignore_index=True)


def watchlist_hit(c: Context) -> np.ndarray:
    """On a sanctions list or watchlist: the best screening hit of the entity's parties (names across
    scripts and orders, identifiers, country and birth date; a hit an investigator confirmed counts
    1, one marked false positive 0), or of an officer of its companies (a director or owner on a
    list), which counts OFFICER_HIT_SHARE of a hit on the company itself."""
    out = np.zeros(c.proj.n_entities)
    rows = watchlist_rows(c)
    if len(rows):
        np.maximum.at(out, rows["entity"].to_numpy(dtype=np.int64), rows["value"].to_numpy(dtype=float))
    return out


FEATURES: tuple[Feature, ...] = (
    Feature("own_record", 0.30, own_record),
    Feature("network_exposure", 0.15, network_exposure),
    Feature("offender_links", 0.20, offender_links),
    Feature("group_risk", 0.20, group_risk),
    # on top of the normalised sum, as the watchlist hit: zero for nearly every entity, it leaves every
    # other score as it was (the trader categories cut fixed levels of these scores; normalised in,
    # it moved a phoenix successor of the default world below `high`)
    Feature("captured_broker", 0.12, captured_broker, additive=True),
    Feature("phoenix_succession", 0.12, phoenix_succession),
    Feature("newness", 0.03, newness),
    Feature("watchlist_hit", 0.6, watchlist_hit, additive=True),
)


def feature_docs() -> list[dict[str, Any]]:
    """The declared features with their weights and docstrings (served by the API)."""
    return [{"name": f.name, "weight": f.weight, "doc": f.doc} for f in FEATURES]


@dataclass
class Scores:
    score: np.ndarray  # per entity, 0..1
    rank: np.ndarray  # 1 = riskiest; ties broken by entity id
    values: pd.DataFrame  # per entity x feature value
    contributions: pd.DataFrame  # per entity x feature weight*value


def score_entities(c: Context, features: tuple[Feature, ...] = FEATURES) -> Scores:
    total = sum(f.weight for f in features if not f.additive)
    values = pd.DataFrame({f.name: np.clip(f.compute(c), 0.0, 1.0) for f in features})
    contrib = pd.DataFrame({f.name: values[f.name] * (f.weight if f.additive else f.weight / total)
                            for f in features})
    score = np.clip(contrib.sum(axis=1).to_numpy(), 0.0, 1.0)
    order = np.lexsort((c.proj.entity_ids, -np.round(score, 12)))
    rank = np.empty(len(score), dtype=np.int64)
    rank[order] = np.arange(1, len(score) + 1)
    return Scores(score=score, rank=rank, values=values, contributions=contrib)


# --------------------------------------------------------------------------- reasons

def _link_adjacency(pairs: pd.DataFrame) -> dict[int, list[tuple[int, float, list[int]]]]:
    """entity -> (linked entity, link weight, the link nodes they share), both directions."""
    adj: dict[int, list[tuple[int, float, list[int]]]] = {}
    if len(pairs):
        a, b, w, nodes = (pairs["a"].to_numpy(), pairs["b"].to_numpy(), pairs["weight"].to_numpy(),
                          pairs["nodes"].to_numpy())
        for x, y, ww, nn in zip(a, b, w, nodes, strict=True):
            adj.setdefault(int(x), []).append((int(y), float(ww), nn))
            adj.setdefault(int(y), []).append((int(x), float(ww), nn))
    return adj


def _trade_with_offenders(trade: pd.DataFrame, off: np.ndarray,
                          want: set[int]) -> dict[int, list[tuple[int, str, int]]]:
    """entity in `want` -> (offender it trades with, as which role, declarations)."""
    trade_adj: dict[int, list[tuple[int, str, int]]] = {}
    if len(trade):
        t = trade[off[trade["a"].to_numpy()] | off[trade["b"].to_numpy()]]
        for x, y, k, n in zip(t["a"], t["b"], t["kind"], t["count"], strict=True):
            if int(x) in want and off[int(y)]:
                trade_adj.setdefault(int(x), []).append((int(y), k, int(n)))
            if int(y) in want and off[int(x)]:
                trade_adj.setdefault(int(y), []).append((int(x), k, int(n)))
    return trade_adj


def _strongest_per_offender(paths: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Offender paths, strongest first, one per offender."""
    seen: set[str] = set()
    uniq: list[dict[str, Any]] = []
    for p in sorted(paths, key=lambda r: -r["link_weight"]):
        if (key := p["offender"]["entity_id"]) not in seen:
            seen.add(key)
            uniq.append(p)
    return uniq


def _watchlist_evidence(hits: pd.DataFrame) -> list[dict[str, Any]]:
    """One entity's `watchlist_rows` as reason entries (an officer's hit names the officer)."""
    return [{"list": h.list, "entity_id": h.entity_id, "name": h.listed_name, "score": h.score,
             "state": h.state,
             **({"officer": {"key": h.officer, "name": h.officer_name,
                             "role": h.role if isinstance(h.role, str) else None}}
                if h.officer is not None else {})}
            for h in hits.itertuples(index=False)]


def reasons(c: Context, sc: Scores, entities: np.ndarray, *,
            max_offenders: int = 5) -> dict[int, dict[str, Any]]:
    """Per entity: the score, each feature's value and contribution, and the evidence: which offenders,
    through which shared identifiers / officers (direct or via one intermediary), which trade, which
    group, which captured broker (and its suspicious clients), which phoenix predecessor."""
    proj, spec = c.proj, c.groups.specificity
    names = proj.entities["name"].to_numpy()
    kinds = proj.link_nodes["kind"].to_numpy() if proj.n_links else np.zeros(0, dtype=object)
    values = proj.link_nodes["value"].to_numpy() if proj.n_links else np.zeros(0, dtype=object)
    adj = _link_adjacency(c.groups.pairs)
    trade_adj = _trade_with_offenders(proj.trade, c.seeds > 0, {int(e) for e in entities})

    def via(nodes: list[int]) -> list[dict[str, Any]]:
        return [{"kind": str(kinds[x]), "value": str(values[x]), "specificity": round(float(spec[x]), 3)}
                for x in sorted(nodes, key=lambda x: -spec[x])]

    def who(e: int) -> dict[str, Any]:
        return {"entity_id": str(proj.entity_ids[e]), "name": str(names[e] or "")}

    ph = c.phoenix.set_index("successor") if len(c.phoenix) else None
    bp = broker_pairs(c)
    # only the brokers the explained entities file through with a value: each lookup scans the table
    mine = bp["client"].isin(np.asarray(entities)) & (bp["value"] > 0)
    bp = bp[bp["broker"].isin(bp.loc[mine, "broker"])]
    suspicion = client_suspicion(c.seeds, c.groups)
    wl = watchlist_rows(c)
    hits_of = wl.groupby("entity") if len(wl) else None
    out: dict[int, dict[str, Any]] = {}
    for e in entities:
        e = int(e)
        contrib: list[dict[str, Any]] = [{"feature": f, "value": round(float(sc.values.at[e, f]), 4),
                    "contribution": round(float(sc.contributions.at[e, f]), 4)}
                   for f in sc.values.columns if sc.values.at[e, f] > 0]
        contrib.sort(key=lambda r: -r["contribution"])
        paths: list[dict[str, Any]] = []
        for y, w, nn in sorted(adj.get(e, []), key=lambda r: -r[1]):
            if c.seeds[y] > 0:
                paths.append({"offender": who(y), "link_weight": round(w, 3), "via": via(nn)})
            else:  # one intermediary: e - y - offender
                for z, w2, nn2 in adj.get(y, []):
                    if z != e and c.seeds[z] > 0 and w * w2 >= 0.1:
                        paths.append({"offender": who(z), "link_weight": round(w * w2, 3),
                                      "via": via(nn), "through": who(y), "then_via": via(nn2)})
        uniq = _strongest_per_offender(paths)
        r: dict[str, Any] = {"score": round(float(sc.score[e]), 4), "rank": int(sc.rank[e]),
                             "contributions": contrib, "offender_paths": uniq[:max_offenders]}
        tr = sorted(trade_adj.get(e, []), key=lambda r: -r[2])[:max_offenders]
        if tr:
            r["trade_with_offenders"] = [{"offender": who(y), "as": k, "declarations": n} for y, k, n in tr]
        if hits_of is not None and e in hits_of.groups:
            r["watchlist_hits"] = _watchlist_evidence(hits_of.get_group(e))[:max_offenders]
        if c.seeds[e] > 0:
            r["own_record_weight"] = round(float(c.seeds[e]), 3)
        g = int(c.groups.group_of[e])
        if g >= 0:
            row = c.groups.table.iloc[g]
            r["group"] = {"group_id": row["group_id"], "size": int(row["size"]), "risk": float(row["risk"])}
        if (cb := broker_evidence(bp, suspicion, e, who, max_offenders)) is not None:
            r["captured_broker"] = cb
        if ph is not None and e in ph.index:
            r["phoenix"] = {**ph.loc[e, "evidence"], "score": float(ph.loc[e, "score"]),
                            "predecessor_name": str(names[int(ph.loc[e, "predecessor"])] or "")}
        out[e] = r
    return out
