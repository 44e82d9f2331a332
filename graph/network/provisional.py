"""Provisional risk between full runs: the touched part of the network brought up to date locally.

A full scoring run recomputes everything over the whole projection; between runs new offences,
inspection violations and declarations change the seeds and links of a few entities. This module
is the pure part of the local update (`api.services.intake.refresh_provisional` reads the
neighbourhood from the store and writes the result, flagged `risk_provisional`):

- `forward_push`: personalised PageRank by forward push (Andersen, Chung and Lang 2006) on a small
  weighted graph, with the same definition as `graph.engine.csr.personalized_pagerank` (walkers
  follow edges with probability alpha, jump back to the seeds otherwise; `ground` weight and
  dangling nodes lead back to the seeds). Residual below `eps` per unit of degree stays unpushed,
  so the work is local to where the mass goes.
- `update`: a party's new score is its stored score plus, for the three features the new data can
  move locally, the weighted change of the feature: own record (from the recomputed seed),
  network exposure (the change of the mass arriving over edges, old and new seeds pushed on the
  same local graph, converted to exposure units by calibrating against the stored exposures of the
  neighbourhood) and offender links (noisy-OR of the shared nodes' stored specificities x the
  neighbour's severity). Group risk, phoenix succession and newness keep their stored values until
  the next full run: they need the whole graph (components, successions). Why deltas on stored
  values rather than recomputation: what the local graph cannot see (the far network, resolution)
  stays as the full run left it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from graph.network.groups import GroupSettings
from graph.network.risk import FEATURES, RiskSettings

Adjacency = dict[int, list[tuple[int, float]]]
LOCAL_FEATURES = ("own_record", "network_exposure", "offender_links")
# the weights as score_entities applies them: an additive feature (the watchlist hit) sits outside the
# normaliser, so it must not dilute the others
WEIGHT = {f.name: f.weight if f.additive else f.weight / sum(x.weight for x in FEATURES if not x.additive)
          for f in FEATURES}


def forward_push(adj: Adjacency, seeds: dict[int, float], *, alpha: float = 0.85,
                 ground: dict[int, float] | None = None, eps: float = 1e-7,
                 max_pushes: int = 1_000_000) -> dict[int, float]:
    """Personalised PageRank of the seed distribution (seeds normalised to sum 1) by forward push;
    the same fixed point as `csr.personalized_pagerank` on the same graph, within ~eps x degree per
    node. The returned mass of ground and dangling nodes goes back to the seeds' distribution."""
    total = sum(v for v in seeds.values() if v > 0)
    if total <= 0:
        return {}
    p = {u: v / total for u, v in seeds.items() if v > 0}
    ground = ground or {}
    out_w = {u: sum(w for _, w in nb) + ground.get(u, 0.0) for u, nb in adj.items()}
    est: dict[int, float] = {}
    res: dict[int, float] = dict(p)
    queue = deque(res)
    queued = set(queue)
    pushes = 0
    returned = 0.0  # mass on its way back to the seeds, handed out in rounds (one pass over the seeds each)
    while pushes < max_pushes:
        if not queue:
            if returned <= eps:
                break
            for sd, ps in p.items():
                res[sd] = res.get(sd, 0.0) + returned * ps
                if sd not in queued:
                    queue.append(sd)
                    queued.add(sd)
            returned = 0.0
        u = queue.popleft()
        queued.discard(u)
        r = res.pop(u, 0.0)
        if r <= 0:
            continue
        pushes += 1
        est[u] = est.get(u, 0.0) + (1.0 - alpha) * r
        ow = out_w.get(u, 0.0)
        if ow <= 0:
            returned += alpha * r
            continue
        returned += alpha * r * ground.get(u, 0.0) / ow
        for v, w in adj.get(u, ()):
            rv = res.get(v, 0.0) + alpha * r * w / ow
            res[v] = rv
            if v not in queued and rv > eps * max(1.0, len(adj.get(v, ()))):
                queue.append(v)
                queued.add(v)
    if returned > 0:  # what was still on its way back settles on the seeds
        for sd, ps in p.items():
            res[sd] = res.get(sd, 0.0) + returned * ps
    for u, r in res.items():  # what stays below the threshold settles where it is
        est[u] = est.get(u, 0.0) + r
    return est


def arrived(adj: Adjacency, ppr: dict[int, float], *, alpha: float,
            ground: dict[int, float]) -> dict[int, float]:
    """Mass that reached each node over an edge (the evidence part of PPR, as `risk.propagate`)."""
    out: dict[int, float] = {}
    for u, x in ppr.items():
        nb = adj.get(u, ())
        ow = sum(w for _, w in nb) + ground.get(u, 0.0)
        if ow <= 0:
            continue
        for v, w in nb:
            out[v] = out.get(v, 0.0) + alpha * x * w / ow
    return out


@dataclass
class Neighbourhood:
    """The local graph: parties 0..P-1 then link nodes (identifiers, officers); trade between parties.

    `links` are (party, node, specificity, degree); `trade` (party, party, kind, count, partners)."""

    parties: list[str]
    nodes: list[str]
    links: list[tuple[int, int, float, int]] = field(default_factory=list)
    link_kinds: dict[int, str] = field(default_factory=dict)
    trade: list[tuple[int, int, str, int, int]] = field(default_factory=list)

    def adjacency(self, s: RiskSettings) -> Adjacency:
        """The propagation graph's weights (`risk.propagation_graph`): links by kind x specificity,
        trade by volume damped by the busier partner's number of partners."""
        from graph.engine.stats import damping

        P = len(self.parties)
        adj: Adjacency = {i: [] for i in range(P + len(self.nodes))}
        for e, n, spec, _ in self.links:
            w = s.link_weights.get(self.link_kinds.get(n, ""), 0.5) * spec
            if w > 0:
                adj[e].append((P + n, w))
                adj[P + n].append((e, w))
        for a, b, kind, count, partners in self.trade:
            w = s.trade_weights.get(kind, 0.0) * math.log1p(count) * float(damping(partners, s.trade_knee))
            if w > 0:
                adj[a].append((b, w))
                adj[b].append((a, w))
        return adj


def _severity(seed: float) -> float:
    return 1.0 - math.exp(-max(seed, 0.0))


def seed_of(own_record: float) -> float:
    """The seed weight behind a stored own_record value (its inverse: severity = 1 - exp(-seed))."""
    return -math.log(max(1e-12, 1.0 - min(own_record, 1.0 - 1e-12)))


def offender_links(nb: Neighbourhood, seeds: list[float], g: GroupSettings | None = None) -> list[float]:
    """Per party: the strongest link to a party with a record (noisy-OR of the specificities of the
    nodes they share, nodes of degree 2..max_pair_degree, x the other's severity; `groups.link_pairs`)."""
    g = g or GroupSettings()
    by_node: dict[int, list[tuple[int, float]]] = {}
    for e, n, spec, deg in nb.links:
        if 2 <= deg <= g.max_pair_degree:
            by_node.setdefault(n, []).append((e, spec))
    pair_log: dict[tuple[int, int], float] = {}
    for members in by_node.values():
        for i, (a, spec) in enumerate(members):
            for b, _ in members[i + 1:]:
                if a != b:
                    k = (min(a, b), max(a, b))
                    pair_log[k] = pair_log.get(k, 0.0) + math.log1p(-min(spec, 0.999999))
    out = [0.0] * len(nb.parties)
    for (a, b), lw in pair_log.items():
        w = 1.0 - math.exp(lw)
        out[a] = max(out[a], w * _severity(seeds[b]))
        out[b] = max(out[b], w * _severity(seeds[a]))
    return out


@dataclass
class Update:
    score: float
    values: dict[str, float]  # the local features' new values
    changed: bool


def update(nb: Neighbourhood, old_values: list[dict[str, float]], old_scores: list[float | None],
           new_seeds: list[float], s: RiskSettings | None = None) -> list[Update]:
    """New scores for the neighbourhood's parties (see the module docstring). `old_values` are the
    stored feature values (empty for a party never scored), `new_seeds` the recomputed seeds (the
    stored ones, `seed_of(own_record)`, where nothing changed)."""
    s = s or RiskSettings()
    P = len(nb.parties)
    old_seeds = [seed_of(v.get("own_record", 0.0)) for v in old_values]
    adj = nb.adjacency(s)
    ground = {i: s.ground for i in range(P)}

    def arrival(seeds: list[float]) -> list[float]:
        total = sum(seeds)
        ppr = forward_push(adj, dict(enumerate(seeds)), alpha=s.alpha, ground=ground)
        got = arrived(adj, {u: x * total for u, x in ppr.items()}, alpha=s.alpha, ground=ground)
        return [got.get(i, 0.0) for i in range(P)]

    a_old, a_new = arrival(old_seeds), arrival(new_seeds)
    x_old = [-s.exposure_scale * math.log(max(1e-12, 1.0 - min(v.get("network_exposure", 0.0), 1 - 1e-12)))
             for v in old_values]
    cal = [(a, x) for a, x in zip(a_old, x_old, strict=True) if a > 0 and x > 0]
    unit = sum(a for a, _ in cal) / sum(x for _, x in cal) if cal else None  # arrived mass per exposure unit
    links_old = offender_links(nb, old_seeds)
    links_new = offender_links(nb, new_seeds)
    out = []
    for i in range(P):
        v_old = old_values[i]
        vals = {"own_record": _severity(new_seeds[i])}
        x = x_old[i] + ((a_new[i] - a_old[i]) / unit if unit else 0.0)
        vals["network_exposure"] = 1.0 - math.exp(-max(x, 0.0) / s.exposure_scale)
        # the stored value is the full run's (it sees more than the local graph): move it by the local change
        vals["offender_links"] = min(1.0, max(0.0, v_old.get("offender_links", 0.0)
                                              + links_new[i] - links_old[i]))
        delta = sum(WEIGHT[f] * (vals[f] - v_old.get(f, 0.0)) for f in LOCAL_FEATURES)
        base = old_scores[i]
        if base is None:  # never scored: the features the full run would also give it, from zero
            base = sum(WEIGHT[f] * v_old.get(f, 0.0) for f in WEIGHT)
        out.append(Update(score=min(1.0, max(0.0, base + delta)), values=vals, changed=abs(delta) > 1e-9))
    return out
