"""Shell-company rings: recently registered firms linked by shared nominees and identifiers.

Why a module of its own: the rings are the main network scheme the analytics must recover. Each
ring has 4-10 members registered within a few months of one another, at private flats in one city,
trading the same suppliers through one captured broker. They share nominee directors, phones,
addresses, bank accounts and emails partially and unevenly (a random spanning tree of links plus a
few extra ones, so the ring is one connected group but no identifier is on every member). Some
members are offenders; the others have no offences of their own. Each ring imports one cover pair's
cover goods and undervalues a share of its imports (both planted row by row in `cover`).

A randomised scenario moves the fixed shape: rings with no recorded offence at all
(`unrecorded_rings`), rings without a captured broker (`uncaptured_rings`, members then use ordinary
and hub brokers), which identifier kinds tie them and how many per member (`ring_link_p`,
`ring_links_per_member`), and a wider supplier pool of which each member uses a few.
"""

from __future__ import annotations

from ingest.simulate import vocab as V
from ingest.simulate.cover import cover_pair
from ingest.simulate.goods import COVER_PAIRS
from ingest.simulate.knobs import DAYS
from ingest.simulate.traders import TraderFactory
from ingest.simulate.world import World, copy_identifier


def shell_rings(f: TraderFactory, rng, ordinary: list[int]) -> list[dict]:
    """The `rings` rings: [{"ring_id", "members", "broker", "dirs"}] (party and person numbers)."""
    w, k, goods, svc = f.w, f.k, f.goods, f.svc
    ring_truth = []
    for r in range(k["rings"]):
        cc = w.home_country(rng)
        city = V.city_for(rng, cc)
        size = int(rng.integers(k["ring_size"][0], k["ring_size"][1] + 1))
        captured = w.domestic(rng, cc, registered=-int(rng.integers(700, 4000)), city=city,
                              b_word=("Broker", "Брокер"))
        w.officer(captured, w.person(rng, w.canon[captured]["cyr"]), "director",
                  w.canon[captured]["registered"])
        first_reg = int(rng.integers(-30, DAYS - 420))
        pair = cover_pair(r)
        cover_i = goods.index(COVER_PAIRS[pair][0])
        sups, rts = f.pick_sup(rng, cc, int(k["ring_suppliers"]))
        if k["ring_member_suppliers"] is None and len(sups) > 3:
            raise ValueError("a trader uses at most 3 suppliers: "
                             "set ring_member_suppliers with ring_suppliers > 3")
        captured_on = r not in k["uncaptured_rings"]
        members = []
        for _m in range(size):
            reg = first_reg + int(rng.integers(0, 120))
            p = w.domestic(rng, cc, registered=reg, city=city, flat=True, email=True)
            members.append(p)
        # nominee directors: each member its own at first; the linking below makes them shared
        dirs = [w.person(rng, w.canon[p]["cyr"]) for p in members]
        _link(w, rng, k, members, dirs)
        for p, d in zip(members, dirs, strict=True):
            w.officer(p, d, "director", w.canon[p]["registered"])
            if rng.random() < 0.4:
                w.officer(p, d, "founder", w.canon[p]["registered"], 100.0)
        n_off = max(1, min(size - 1, round(size * k["ring_offender_share"])))
        off_set = set(rng.choice(size, n_off, replace=False).tolist())
        if r in k["unrecorded_rings"]:  # a ring no inspection has found yet: only its links betray it
            off_set = set()
        for m, p in enumerate(members):
            reg = w.canon[p]["registered"]
            s = reg + int(rng.integers(15, 60))
            hs = [cover_i] + [h for h in f.pick_hs(rng, int(rng.integers(1, 3))) if h != cover_i]
            t = f.make_trader(rng, p, "ring", start=max(0, s),
                              end=min(DAYS - 1, max(0, s) + int(rng.integers(200, 450))),
                              weight=float(rng.lognormal(0.3, 0.5)), broker=captured if captured_on else None,
                              hs=hs, sup=_member_suppliers(rng, k, sups, rts),
                              min_headers=k["ring_min_headers"], undervalue=k["ring_undervaluation_share"],
                              cover_pair=pair, offender=m in off_set, noise_ok=False, exports_ok=False,
                              first_at_start=True)
            t.carriers = [svc.hub_carriers[int(rng.integers(len(svc.hub_carriers)))],
                          svc.carriers[int(rng.integers(len(svc.carriers)))]]
        ring_truth.append({"ring_id": f"R{r + 1:02d}", "members": members,
                           "broker": captured if captured_on else None, "dirs": dirs})
    _honest_clients(f, rng, ordinary, ring_truth)
    return ring_truth


KINDS = ("director", "phone", "address", "bank", "email")


def _link(w: World, rng, k: dict, members: list[int], dirs: list[int]) -> None:
    """Extra links first, then a random spanning tree of shared identifiers: step m only rewrites
    member m, so every tree link survives and the ring stays connected, unevenly. `ring_link_p`
    (None: today's weights) says which kinds tie the members; (1, 0, 0, 0, 0) is nominees only."""
    size, p = len(members), k["ring_link_p"]
    lo, hi = k["ring_links_per_member"]
    for _x in range(int(rng.integers(0, size))):
        a, b = rng.choice(size, 2, replace=False)
        kd = str(rng.choice(KINDS)) if p is None else str(rng.choice(KINDS, p=p))
        _share(w, rng, members, dirs, kd, int(max(a, b)), int(min(a, b)))
    weights = [.3, .25, .2, .15, .1] if p is None else p
    for m in range(1, size):
        parent = int(rng.integers(0, m))
        n = min(int(rng.integers(lo, hi + 1)), sum(1 for x in weights if x > 0))
        for kd in rng.choice(KINDS, size=n, replace=False, p=weights):
            _share(w, rng, members, dirs, kd, m, parent)


def _member_suppliers(rng, k: dict, sups: list[int], rts: list[int]) -> tuple[list[int], list[int]]:
    """The ring's whole supplier pool, or (`ring_member_suppliers`) a few of it per member."""
    span = k["ring_member_suppliers"]
    if span is None:
        return sups, rts
    n = min(int(rng.integers(span[0], span[1] + 1)), len(sups), 3)
    pick = sorted(rng.choice(len(sups), n, replace=False).tolist())
    return [sups[i] for i in pick], [rts[i] for i in pick]


def _share(w: World, rng, members: list[int], dirs: list[int], kind: str, m: int, parent: int) -> None:
    """Member `m` takes member `parent`'s director or identifier of `kind`."""
    if kind == "director":
        dirs[m] = dirs[parent]
    else:
        copy_identifier(w, rng, members[parent], members[m], kind)


def _honest_clients(f: TraderFactory, rng, ordinary: list[int], ring_truth: list[dict]) -> None:
    """A captured broker also serves a couple of honest clients (realistic, and a test of caution)."""
    w, traders = f.w, f.traders
    ordinary_by_country: dict[str, list[int]] = {}
    for i in ordinary:
        ordinary_by_country.setdefault(traders[i].country, []).append(i)
    for rt in ring_truth:
        if rt["broker"] is None:
            continue
        same = ordinary_by_country.get(w.parties[rt["broker"]]["country"], [])
        for ti in rng.choice(same, size=min(len(same), int(rng.integers(0, 3))), replace=False):
            traders[int(ti)].broker = rt["broker"]
