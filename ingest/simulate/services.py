"""The parties that serve trade: customs brokers, carriers, and the foreign suppliers.

Why a module of its own: every trader profile draws its broker, carriers and suppliers from these
pools, so they exist before any trader does. The hub brokers and hub carriers (a trap: they serve
hundreds of traders, offenders among them, and must not look risky for it) are made here too, first,
in the same random stream as the ordinary ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.simulate.logistics import FOREIGN_COUNTRIES, FOREIGN_WEIGHTS
from ingest.simulate.world import World


@dataclass
class Services:
    """Party numbers of the service pools, and each supplier's country and popularity."""

    hub_brokers: list[int]
    hub_carriers: list[int]
    brokers: list[int]
    carriers: list[int]       # domestic carriers, then foreign (Turkish and Russian) hauliers
    consignors: list[int]     # foreign suppliers
    cons_country: np.ndarray
    cons_pop: np.ndarray      # popularity weights, summing to 1


def make_services(w: World, rng: np.random.Generator) -> Services:
    """Hubs, brokers, carriers and suppliers, each domestic one with a director of its own."""
    k = w.k
    hub_brokers = [w.domestic(rng, ("UZ", "KZ")[i % 2], registered=-int(rng.integers(3000, 7000)),
                              b_word=("Broker", "Брокер"), email=True) for i in range(k["hub_brokers"])]
    hub_carriers = [w.domestic(rng, ("UZ", "KZ")[i % 2], registered=-int(rng.integers(3000, 7000)),
                               b_word=("Trans", "Транс"), email=True) for i in range(k["hub_carriers"])]
    brokers = [w.domestic(rng, w.home_country(rng), registered=-int(rng.integers(400, 6000)),
                          b_word=("Broker", "Брокер")) for _ in range(k["brokers"])]
    carriers = [w.domestic(rng, w.home_country(rng), registered=-int(rng.integers(400, 6000)),
                           b_word=(("Trans", "Транс"), ("Logistik", "Логистик"))[int(rng.integers(2))])
                for _ in range(k["carriers"])]
    for f in ("TR", "RU"):  # foreign hauliers
        for _ in range(max(1, k["carriers"] // 6)):
            carriers.append(w.foreign(rng, f))
    w.hub_carriers = set(hub_carriers)
    consignors = [w.foreign(rng, FOREIGN_COUNTRIES[int(rng.choice(8, p=FOREIGN_WEIGHTS))])
                  for _ in range(k["consignors"])]
    cons_country = np.array([w.parties[i]["country"] for i in consignors])
    cons_pop = rng.lognormal(0, 1.0, len(consignors))
    cons_pop /= cons_pop.sum()
    for p in hub_brokers + hub_carriers + brokers + [c for c in carriers
                                                     if w.parties[c]["country"] in ("UZ", "KZ")]:
        w.officer(p, w.person(rng, w.canon[p]["cyr"]), "director", w.canon[p]["registered"] + 1)
    return Services(hub_brokers, hub_carriers, brokers, carriers, consignors, cons_country, cons_pop)
