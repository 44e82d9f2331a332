"""The CSR engine against networkx, the reference, on seeded random graphs and hypothesis graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.engine import csr


def _random_graph(n: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    w = rng.uniform(0.1, 2.0, m)
    return src, dst, w


def _nx_graph(n, src, dst, w):
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for u, v, x in zip(src.tolist(), dst.tolist(), w.tolist(), strict=True):
        if g.has_edge(u, v):
            g[u][v]["weight"] += x
        else:
            g.add_edge(u, v, weight=x)
    return g


def _partition(labels) -> set[frozenset[int]]:
    out: dict[int, set[int]] = {}
    for i, lab in enumerate(labels):
        out.setdefault(int(lab), set()).add(i)
    return {frozenset(s) for s in out.values()}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_components_equal_networkx(seed):
    n, m = 300, 260  # sparse enough for many components
    src, dst, w = _random_graph(n, m, seed)
    g = csr.from_edges(src, dst, w, n=n)
    ref = {frozenset(c) for c in nx.connected_components(_nx_graph(n, src, dst, w))}
    assert _partition(csr.connected_components(g)) == ref


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ppr_matches_networkx(seed):
    n, m = 200, 600
    src, dst, w = _random_graph(n, m, seed)
    g = csr.from_edges(src, dst, w, n=n)
    rng = np.random.default_rng(seed + 100)
    pers = np.zeros(n)
    pers[rng.choice(n, 5, replace=False)] = rng.uniform(0.5, 3.0, 5)
    ours = csr.personalized_pagerank(g, pers, alpha=0.85, tol=1e-12)
    ref = nx.pagerank(_nx_graph(n, src, dst, w), alpha=0.85,
                      personalization={i: float(pers[i]) for i in range(n)},
                      weight="weight", tol=1e-12, max_iter=500)
    ref_arr = np.array([ref[i] for i in range(n)])
    assert np.allclose(ours, ref_arr, atol=1e-8)
    assert ours.sum() == pytest.approx(1.0)


def test_degrees_and_strength():
    g = csr.from_edges(np.array([0, 0, 1, 0]), np.array([1, 1, 2, 0]), np.array([1.0, 2.0, 0.5, 4.0]), n=4)
    assert csr.degrees(g).tolist() == [2, 2, 1, 0]  # parallel edges merged; self-loop is one neighbour
    assert csr.strength(g).tolist() == [7.0, 3.5, 0.5, 0.0]
    assert g.n_edges == 3


def test_ppr_without_seeds_is_zero():
    g = csr.from_edges(np.array([0]), np.array([1]), n=3)
    assert csr.personalized_pagerank(g, np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80))))
def test_components_hypothesis(case):
    n, edges = case
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    labels = csr.induced_components(n, src, dst)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    assert _partition(labels) == {frozenset(c) for c in nx.connected_components(g)}
    # labels numbered by first occurrence: node 0 is always in component 0
    assert labels[0] == 0


def test_ground_zero_is_plain_ppr_and_ground_keeps_weak_links_weak():
    src, dst, w = _random_graph(50, 120, 5)
    g = csr.from_edges(src, dst, w, n=50)
    pers = np.zeros(50)
    pers[0] = 1.0
    assert np.allclose(csr.personalized_pagerank(g, pers),
                       csr.personalized_pagerank(g, pers, ground=np.zeros(50)))
    # a seed whose only edge is weak: without ground it passes its whole walk on, with ground almost none
    weak = csr.from_edges(np.array([0, 1]), np.array([1, 2]), np.array([0.01, 1.0]), n=3)
    p = np.array([1.0, 0, 0])
    plain = csr.personalized_pagerank(weak, p)
    grounded = csr.personalized_pagerank(weak, p, ground=np.array([1.0, 1.0, 1.0]))
    assert plain[2] > 0.2 and grounded[2] < 0.01
    assert grounded.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_grounded_ppr_matches_networkx_with_a_sink(seed):
    """The ground is networkx's PageRank with one extra dangling node every grounded node points to."""
    n, m = 120, 300
    src, dst, w = _random_graph(n, m, seed)
    g = csr.from_edges(src, dst, w, n=n)
    rng = np.random.default_rng(seed)
    pers = np.zeros(n)
    pers[rng.choice(n, 4, replace=False)] = 1.0
    ground = np.where(np.arange(n) < 80, 0.7, 0.0)
    ours = csr.personalized_pagerank(g, pers, ground=ground, tol=1e-12)
    d = nx.DiGraph()
    d.add_nodes_from(range(n + 1))
    coo = g.matrix.tocoo()
    d.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    d.add_weighted_edges_from((i, n, float(ground[i])) for i in range(n) if ground[i] > 0)
    ref = nx.pagerank(d, personalization={i: float(pers[i]) for i in range(n) if pers[i] > 0}, tol=1e-12,
                      max_iter=1000)
    ref_arr = np.array([ref[i] for i in range(n)])
    # networkx keeps the sink's own share; compare the distributions over the real nodes
    assert np.allclose(ours / ours.sum(), ref_arr / ref_arr.sum(), atol=1e-8)


def test_communities_seeded_and_close_to_networkx():
    from graph.network import communities as comm

    # a planted partition: 6 blocks of 30 nodes, dense inside, sparse between
    rng = np.random.default_rng(3)
    src, dst = [], []
    for b in range(6):
        nodes = np.arange(b * 30, (b + 1) * 30)
        for _ in range(150):
            u, v = rng.choice(nodes, 2, replace=False)
            src.append(u)
            dst.append(v)
    for _ in range(40):
        u, v = rng.choice(180, 2, replace=False)
        src.append(u)
        dst.append(v)
    g = csr.from_edges(np.array(src), np.array(dst), n=180)
    a = comm.detect(g, seed=1)
    assert np.array_equal(a, comm.detect(g, seed=1))
    ref = comm.networkx_communities(g, seed=1)
    assert comm.modularity(g, a) >= 0.95 * comm.modularity(g, ref)
    assert len(set(a.tolist())) >= 5
    # nodes of one planted block end up together
    assert max(np.bincount(a[:30])) >= 27
