"""Trader profiles, and the ordinary traders that make up most of a world.

Why a module of its own: a `Trader` is what every scheme hands to the declarations (its goods,
suppliers, routes, broker, carriers, office, price level, active period and how it may be caught),
and `TraderFactory` is the one way schemes make them, so an ordinary trader and a ring member are
drawn alike except where the scheme says otherwise. Every method takes the random stream of the
scheme calling it: the schemes' draws stay in their own streams, in the order they were made.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ingest.simulate.goods import Goods
from ingest.simulate.knobs import DAYS
from ingest.simulate.logistics import OFFICE_BY_CITY, ROUTE_OPTS
from ingest.simulate.services import Services
from ingest.simulate.world import World


@dataclass
class Trader:
    """One trading firm: what it imports, from whom, through whom, when, and how it may be caught."""

    party: int
    country: str
    city: str
    start: int
    end: int
    weight: float
    # ordinary, ring, phoenix_pred, phoenix_succ, smuggler, newcomer, bc, holding, family
    kind: str
    hs: list[int]
    sup: list[int]
    routes: list[int]
    broker: int
    carriers: list[int]
    office: int
    price: float
    min_headers: int = 1
    undervalue: float = 0.0
    cover_pair: int = -1
    offender: bool = False      # planted offender: gets offences
    noise_ok: bool = True       # may receive honest violations / documentation offences
    exports_ok: bool = True
    dup: list[int] | None = None
    dup_share: float = 0.0
    first_at_start: bool = False  # a firm that starts trading right after registration declares on day one
    # an honest look-alike (accountant client, family firm): may get a paperwork offence
    paperwork_trap: bool = False


class TraderFactory:
    """Makes trader profiles (kept in `traders`, in creation order) from the goods and service pools."""

    def __init__(self, w: World, goods: Goods, svc: Services):
        self.w, self.k, self.goods, self.svc = w, w.k, goods, svc
        self.traders: list[Trader] = []
        # weighted draws by inverse CDF: rng.choice(p=...) costs O(len(p)) per call, quadratic at 1M rows
        self.hs_cum = np.cumsum(goods.pop)
        self.cons_cum = np.cumsum(svc.cons_pop)
        self.hub_by_country: dict[str, list[int]] = {}
        for b in svc.hub_brokers:
            self.hub_by_country.setdefault(w.parties[b]["country"], []).append(b)
        self.brokers_by_country: dict[str, list[int]] = {}
        for b in svc.brokers:
            self.brokers_by_country.setdefault(w.parties[b]["country"], []).append(b)
        self.hub_turn = itertools.count()  # hubs take clients in turn: each one ends up serving a like share

    def popular_hs(self, rng) -> int:
        hs_cum = self.hs_cum
        return min(int(np.searchsorted(hs_cum, rng.random() * hs_cum[-1])), len(hs_cum) - 1)

    def pick_hs(self, rng, n: int, first: int | None = None) -> list[int]:
        """`n` goods: a popular one (or `first`), the rest mostly from its chapter."""
        goods = self.goods
        f = self.popular_hs(rng) if first is None else first
        out_ = [f]
        same = goods.chapter_idx[goods.hs6[f][:2]]
        while len(out_) < n:
            cand = int(same[rng.integers(len(same))]) if rng.random() < 0.7 else self.popular_hs(rng)
            if cand not in out_:
                out_.append(cand)
            elif len(same) <= len(out_):
                cand = self.popular_hs(rng)
                if cand not in out_:
                    out_.append(cand)
        return out_

    def pick_sup(self, rng, country: str, n: int) -> tuple[list[int], list[int]]:
        """`n` distinct suppliers by popularity, and for each a route to `country`."""
        svc, cons_cum = self.svc, self.cons_cum
        idx: list[int] = []
        while len(idx) < n:
            i = min(int(np.searchsorted(cons_cum, rng.random() * cons_cum[-1])), len(svc.consignors) - 1)
            if i not in idx:
                idx.append(i)
        sups = [svc.consignors[i] for i in idx]
        rts = [int(rng.choice(ROUTE_OPTS[(country, svc.cons_country[i])])) for i in idx]
        return sups, rts

    def make_trader(self, rng, party: int, kind: str, *, start: int = 0, end: int = DAYS - 1,
                    weight: float | None = None, broker: int | None = None, hs: list[int] | None = None,
                    sup=None, **extra) -> Trader:
        """A trader profile for `party`; whatever is not given is drawn as for an ordinary trader."""
        w, k, svc = self.w, self.k, self.svc
        c = w.canon[party]
        country = w.parties[party]["country"]
        if broker is None:  # a customs broker works for the country's customs: same country as the trader
            u = rng.random()
            hubs = self.hub_by_country.get(country) or svc.hub_brokers
            local = self.brokers_by_country.get(country) or svc.brokers
            broker = (hubs[next(self.hub_turn) % len(hubs)] if u < k["hub_broker_share"]
                      else local[int(rng.integers(len(local)))] if u < 0.9 else -1)
        cs = [svc.hub_carriers[next(self.hub_turn) % len(svc.hub_carriers)]
              if rng.random() < k["hub_carrier_share"] else svc.carriers[int(rng.integers(len(svc.carriers)))]
              for _ in range(int(rng.integers(1, 3)))]
        sups, rts = sup if sup is not None else self.pick_sup(rng, country, int(rng.integers(1, 4)))
        t = Trader(party=party, country=country, city=c["city"], start=start, end=end,
                   weight=float(rng.lognormal(0, 1.0)) if weight is None else weight, kind=kind,
                   hs=hs if hs is not None else self.pick_hs(rng, int(rng.integers(1, 5))), sup=sups,
                   routes=rts, broker=broker, carriers=cs, office=int(rng.choice(OFFICE_BY_CITY[c["city"]])),
                   price=float(rng.lognormal(0, k["trader_price_spread"])), **extra)
        self.traders.append(t)
        return t

    def director_for(self, rng, p: int, since: int, extra_founder: bool = True) -> int:
        """A new person as director of company `p` (often its founder too, or another founder)."""
        w = self.w
        pi = w.person(rng, w.canon[p]["cyr"])
        w.officer(p, pi, "director", since)
        if extra_founder:
            u = rng.random()
            if u < 0.5:
                w.officer(p, pi, "founder", since, 100.0)
            elif u < 0.8:
                w.officer(p, w.person(rng, w.canon[p]["cyr"]), "founder", since, 100.0)
        return pi


def ordinary_traders(f: TraderFactory, rng) -> list[int]:
    """The honest majority: as many as the `traders` knob leaves after the schemes; their trader numbers."""
    w, k = f.w, f.k
    n_special = (k["rings"] * 7 + 2 * k["phoenix"] + k["newcomers"] + k["smugglers"]
                 + k["business_centres"] * sum(k["business_centre_size"]) // 2
                 + k["holdings"] * sum(k["holding_size"]) // 2)
    n_ord = max(20, k["traders"] - n_special)
    first = len(f.traders)
    for _ in range(n_ord):
        reg = -int(rng.integers(200, 7500))
        p = w.domestic(rng, w.home_country(rng), registered=reg,
                       kind="person" if rng.random() < 0.04 else "company", flat=rng.random() < 0.1)
        if w.parties[p]["kind"] == "company":
            f.director_for(rng, p, reg)
        u = rng.random()
        s, e = (0, DAYS - 1) if u < 0.85 else ((int(rng.integers(0, 500)), DAYS - 1) if u < 0.93
                                               else (0, int(rng.integers(230, DAYS - 1))))
        f.make_trader(rng, p, "ordinary", start=s, end=e)
    return list(range(first, len(f.traders)))
