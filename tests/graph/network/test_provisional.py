"""The local update of provisional risk: forward-push PPR against the full computation (networkx and
the CSR engine), and the score update's direction on a small neighbourhood."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.engine import csr
from graph.network.provisional import Neighbourhood, arrived, forward_push, seed_of, update


def _random_graph(seed: int, n: int, p: float) -> nx.Graph:
    rng = np.random.default_rng(seed)
    g = nx.gnp_random_graph(n, p, seed=int(rng.integers(1 << 30)))
    for u, v in g.edges:
        g[u][v]["weight"] = float(rng.uniform(0.1, 2.0))
    return g


def _adj(g: nx.Graph) -> dict[int, list[tuple[int, float]]]:
    return {u: [(v, d["weight"]) for v, d in g[u].items()] for u in g.nodes}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 60), k=st.integers(1, 4))
def test_forward_push_matches_networkx_pagerank(seed, n, k):
    g = _random_graph(seed, n, 0.15)
    rng = np.random.default_rng(seed + 1)
    seeds = {int(u): float(rng.uniform(0.5, 2.0)) for u in rng.choice(n, size=min(k, n), replace=False)}
    pers = {u: seeds.get(u, 0.0) for u in g.nodes}
    want = nx.pagerank(g, alpha=0.85, personalization=pers, dangling=pers, tol=1e-12, max_iter=1000)
    got = forward_push(_adj(g), seeds, alpha=0.85, eps=1e-10)
    err = sum(abs(got.get(u, 0.0) - want[u]) for u in g.nodes)
    assert err < 1e-6
    assert abs(sum(got.values()) - 1.0) < 1e-9  # mass is conserved


def test_forward_push_with_ground_matches_the_csr_engine():
    g = _random_graph(3, 80, 0.06)
    n = g.number_of_nodes()
    u, v, w = zip(*((a, b, d["weight"]) for a, b, d in g.edges(data=True)), strict=True)
    c = csr.from_edges(np.array(u), np.array(v), np.array(w), n=n)
    pers = np.zeros(n)
    pers[[4, 17, 40]] = [1.0, 0.5, 2.0]
    ground = np.full(n, 1.0)
    want = csr.personalized_pagerank(c, pers, alpha=0.85, tol=1e-14, max_iter=2000, ground=ground)
    got = forward_push(_adj(g), {4: 1.0, 17: 0.5, 40: 2.0}, alpha=0.85, ground=dict(enumerate(ground)),
                       eps=1e-11)
    assert np.abs(np.array([got.get(i, 0.0) for i in range(n)]) - want).sum() < 1e-6


def test_a_coarse_push_approaches_the_full_one_and_stays_local():
    """Coarser thresholds push less and touch fewer nodes; the error shrinks as eps does."""
    g = _random_graph(9, 400, 0.01)
    pers = {0: 1.0}
    full = nx.pagerank(g, alpha=0.85, personalization={u: float(u == 0) for u in g.nodes},
                       dangling={u: float(u == 0) for u in g.nodes}, tol=1e-12, max_iter=1000)
    errs, sizes = [], []
    for eps in (1e-2, 1e-4, 1e-8):
        got = forward_push(_adj(g), pers, eps=eps)
        errs.append(sum(abs(got.get(u, 0.0) - full[u]) for u in g.nodes))
        sizes.append(len(got))
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-5
    assert sizes[0] < sizes[2]


def _ring() -> Neighbourhood:
    # parties 0..3; node 0 is a phone shared by 0 and 1, node 1 an address shared by 1, 2, 3
    return Neighbourhood(parties=["a", "b", "c", "d"], nodes=["Phone:1", "Address:x"],
                         links=[(0, 0, 0.85, 2), (1, 0, 0.85, 2), (1, 1, 0.6, 3), (2, 1, 0.6, 3),
                                (3, 1, 0.6, 3)],
                         link_kinds={0: "Phone", 1: "Address"}, trade=[(2, 3, "declarant", 5, 2)])


def test_a_new_offence_raises_the_offender_and_its_links_more_than_the_far_ones():
    nb = _ring()
    # stored state: b has a record and exposes a little
    old = [{"network_exposure": 0.05, "offender_links": 0.3}, {"own_record": 0.63, "network_exposure": 0.02},
           {"network_exposure": 0.03, "offender_links": 0.2},
           {"network_exposure": 0.01, "offender_links": 0.2}]
    scores = [0.1, 0.25, 0.08, 0.06]
    seeds = [seed_of(v.get("own_record", 0.0)) for v in old]
    unchanged = update(nb, old, scores, seeds)
    assert [round(u.score, 9) for u in unchanged] == pytest.approx(scores, abs=1e-6)  # no change, no move
    seeds[0] += 1.0  # a gets an offence
    new = update(nb, old, scores, seeds)
    assert new[0].score > scores[0] + 0.15  # own record 0 -> 0.63, weight 0.30
    rise = [new[i].score - scores[i] for i in range(4)]
    assert rise[1] > 0 and rise[1] > rise[3] >= 0  # b shares a phone with a; d is two hops away
    assert new[0].values["own_record"] == pytest.approx(1 - np.exp(-1.0))


def test_arrived_is_the_mass_over_edges():
    adj = {0: [(1, 1.0)], 1: [(0, 1.0)]}
    got = arrived(adj, {0: 1.0}, alpha=0.5, ground={0: 1.0, 1: 0.0})
    assert got == {1: pytest.approx(0.25)}
