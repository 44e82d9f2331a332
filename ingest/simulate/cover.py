"""Cover items: risk goods declared under a low-duty cover code, priced like the risk goods.

Why a module of its own: this is the scheme the cover-item detector is measured on, and it spans
the whole generation. Ring members and stand-alone smugglers trade the cover goods (`smugglers`;
each ring and smuggler takes the next of `COVER_PAIRS` in turn, `cover_pair`); a set number of their
import rows become cover items, with the risk goods' mass and a value per kg that fits the risk
goods (`plant_priced_rows`); some of those on offenders' rows are caught, each pair at least once
where it can be (`catch_cover_items`), and the rest stay uncaught (`cover_truth`).

Undervaluation, the other priced scheme (ring imports declared at 25-55 % of their value), is
planted in the same pass over the rows: a row is a cover item or undervalued, never both, and the
draws of the two interleave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ingest.simulate.goods import COVER_PAIRS, Goods
from ingest.simulate.traders import Trader, TraderFactory


def cover_pair(i: int) -> int:
    """The cover pair of the `i`-th cover-goods trader group: rings first, then smugglers."""
    return i % len(COVER_PAIRS)


def smugglers(f: TraderFactory, rng, first: int) -> list[int]:
    """Stand-alone offenders importing cover goods, outside any ring; their party numbers.

    `first` is how many groups took a pair before them (the rings)."""
    w, k, goods = f.w, f.k, f.goods
    out = []
    for s in range(k["smugglers"]):
        reg = -int(rng.integers(200, 2500))
        p = w.domestic(rng, w.home_country(rng), registered=reg)
        f.director_for(rng, p, reg)
        pair = cover_pair(first + s)
        f.make_trader(rng, p, "smuggler", hs=[goods.index(COVER_PAIRS[pair][0])] + f.pick_hs(rng, 1),
                      min_headers=6, cover_pair=pair, offender=True, noise_ok=False, exports_ok=False)
        out.append(p)
    return out


@dataclass
class PricedRows:
    """Where the priced schemes sit among the goods-item rows."""

    cover_rows: np.ndarray   # sorted row numbers of the cover items
    cover_hs: np.ndarray     # per cover item: the goods declared (the cover code)
    risk_hs: np.ndarray      # per cover item: the goods really shipped
    pair: np.ndarray         # per row: its trader's cover pair (-1: none)
    under_rows: np.ndarray   # sorted row numbers of the undervalued imports
    # sorted row numbers of the honest premium importers' luxury-priced items (`premium`)
    premium_rows: np.ndarray | None = None


def plant_priced_rows(rng, traders: list[Trader], goods: Goods, k: dict, itr: np.ndarray, imp: np.ndarray,
                      price: np.ndarray, hs: np.ndarray, mass: np.ndarray, value: np.ndarray) -> PricedRows:
    """Turn rows into undervalued imports and cover items, rewriting `hs`, `mass` and `value` in place.

    `itr` is each row's trader, `imp` whether it is an import, `price` each trader's price level."""
    # undervaluation on ring imports (the clean members' ones are never caught)
    under = np.array([t.undervalue for t in traders])[itr]
    under_m = imp & (under > 0) & (rng.random(len(itr)) < under)
    # cover items on the imports of cover traders
    cpair = np.array([t.cover_pair for t in traders])[itr]
    cand = np.flatnonzero(imp & (cpair >= 0))
    n_cover = min(int(k["cover_items"]), len(cand))
    cover_rows = np.sort(rng.choice(cand, size=n_cover, replace=False)) if n_cover else np.array([], int)
    under_m[cover_rows] = False
    under_rows = np.flatnonzero(under_m)
    value[under_rows] *= rng.uniform(*k["undervaluation_factor"], len(under_rows))
    risk_hs = np.array([goods.index(COVER_PAIRS[p][1]) for p in cpair[cover_rows]], dtype=int)
    cov_hs = np.array([goods.index(COVER_PAIRS[p][0]) for p in cpair[cover_rows]], dtype=int)
    hs[cover_rows] = cov_hs
    mass[cover_rows] = np.round(goods.mass[risk_hs]
                                * rng.lognormal(0, k["cover_mass_spread"], n_cover), 1) + 1.0
    value[cover_rows] = mass[cover_rows] * goods.uv[risk_hs] * price[itr[cover_rows]] \
        * rng.uniform(*k["cover_price_factor"], n_cover)
    return PricedRows(cover_rows, cov_hs, risk_hs, cpair, under_rows)


def catch_cover_items(rng, catch: Callable[..., None], goods: Goods, planted: PricedRows,
                      offender: np.ndarray, value: np.ndarray, duty: np.ndarray, k: dict) -> set[int]:
    """Catch `cover_caught_share` of the cover items, on offenders' rows only; the rows caught.

    `offender` is per row; `catch(row, type, declared, actual, evaded, status)` records an offence."""
    cover_rows, cov_hs, risk_hs = planted.cover_rows, planted.cover_hs, planted.risk_hs
    off_c = np.flatnonzero(offender[cover_rows])
    n_caught = min(len(off_c), round(len(cover_rows) * k["cover_caught_share"]))
    chosen: list[int] = []
    pairs = planted.pair[cover_rows]
    for p in range(len(COVER_PAIRS)):
        c = off_c[pairs[off_c] == p]
        if len(c):
            chosen.append(int(rng.choice(c)))
    rest = np.setdiff1d(off_c, chosen)
    if n_caught > len(chosen) and len(rest):
        chosen += rng.choice(rest, size=min(len(rest), n_caught - len(chosen)), replace=False).tolist()
    for j in sorted(chosen):
        r = int(cover_rows[j])
        ev = value[r] / 0.8 * (goods.duty[risk_hs[j]] - duty[r]) / 100
        catch(r, "misclassification" if rng.random() < 0.75 else "smuggling",
              goods.code[cov_hs[j]], goods.code[risk_hs[j]], ev, "confirmed")
    return {int(cover_rows[j]) for j in chosen}


def cover_truth(goods: Goods, key: np.ndarray, planted: PricedRows, caught: set[int]) -> dict:
    """truth.json's "cover" entry; `key` is each row's "declaration_id/item_no"."""
    return {
        "pairs": [list(p) for p in COVER_PAIRS],
        "pairs_national": [[goods.code[goods.index(c)], goods.code[goods.index(r)]] for c, r in COVER_PAIRS],
        "planted_declarations": [key[r] for r in planted.cover_rows if int(r) not in caught],
        "caught_declarations": [key[r] for r in sorted(caught)],
    }
