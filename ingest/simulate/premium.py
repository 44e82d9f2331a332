"""Premium importers: honest traders who import the luxury end of a low-duty code for years.

Why a module of its own: the candidate-cover detector (issue 12) proposes a cover from price fit
alone: an item priced far above its declared code's usual value per kg, like a higher-duty code of
another heading, best one its trader declares openly. Fine wool suits, premium tea or designer
ceramics look exactly like that and are honest: the same firm, the same code, a price 1.8-4x the
code's usual level (`premium_factor`), every year, clean inspections (only the world's ordinary
honest noise, like any firm), and some of them (`premium_open_share`) also declaring goods of a
higher-duty heading openly, priced about like their premium goods. Only a randomised scenario
plants them (`premium_importers` is 0 in the fixed world).

Two streams of their own, so that the rest of a world stays as it is: `w.rng(7)` picks the importers
(ordinary firms, after every other stage has made its traders) and their codes, `w.rng(8)` rewrites
their rows after the priced schemes are planted (`apply_premium`, called by `draw_declarations`).
What moves in a world: those firms' rows only (their codes, masses and values); the offences stay
the same ones (the offence stage draws on channels and rows), an honest catch on a premium row with
another amount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.simulate.goods import Goods
from ingest.simulate.traders import TraderFactory

LOW_DUTY = 10.0  # % at most: the premium goods sit under a low-duty code


@dataclass
class Premium:
    """One premium importer: its trader, the code it imports at the luxury end, and how."""

    trader: int        # index into the factory's traders
    code: int          # goods index of the low-duty premium code
    factor: float      # its value per kg over the code's usual one
    share: float       # share of its import rows declared under the premium code
    open_code: int     # goods index of a higher-duty code of another heading it declares openly, -1: none
    open_share: float  # share of its other import rows declared under `open_code`


def premium_importers(f: TraderFactory, rng, ordinary: list[int], taken: set[int]) -> list[Premium]:
    """`premium_importers` ordinary firms (not in `taken`: party numbers of other traps, duplicates)
    with a low-duty code each, priced at `premium_factor` of its usual level."""
    k, goods, traders = f.k, f.goods, f.traders
    n = int(k["premium_importers"])
    if n <= 0:
        return []
    free = [i for i in ordinary if traders[i].party not in taken and not traders[i].paperwork_trap
            and traders[i].dup is None]
    out: list[Premium] = []
    heading = np.array([h[:4] for h in goods.hs6])
    for ti in rng.permutation(free) if free else []:
        if len(out) >= n:
            break
        t = traders[int(ti)]
        low = [h for h in t.hs[:4] if goods.duty[h] <= LOW_DUTY]
        if not low:
            continue
        c = int(low[int(rng.integers(len(low)))])
        factor = round(float(rng.uniform(*k["premium_factor"])), 3)
        share = round(float(rng.uniform(*k["premium_share"])), 3)
        open_code, open_share = -1, 0.0
        if rng.random() < k["premium_open_share"]:
            # a higher-duty code of another heading priced about like the premium goods
            ratio = np.abs(np.log(goods.uv / (goods.uv[c] * factor)))
            ok = np.flatnonzero((goods.duty > goods.duty[c]) & (heading != heading[c])
                                & (ratio < np.log(1.5)))
            if len(ok):
                open_code = int(ok[int(rng.integers(len(ok)))])
                open_share = round(float(rng.uniform(0.1, 0.35)), 3)
        out.append(Premium(int(ti), c, factor, share, open_code, open_share))
    return out


def apply_premium(rng, premium: list[Premium], goods: Goods, k: dict, itr: np.ndarray, imp: np.ndarray,
                  price: np.ndarray, hs: np.ndarray, mass: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Rewrite the premium importers' import rows in place (`hs`, `mass`, `value`); the premium rows.

    Every import row of a premium code is priced at the luxury end, a `share` of the firm's other
    imports move to that code, and an open importer declares `open_share` of the rest under its
    higher-duty code at that code's own price."""
    rows: list[np.ndarray] = []
    for p in premium:
        rs = np.flatnonzero((itr == p.trader) & imp)
        u = rng.random(len(rs))
        prem = rs[(hs[rs] == p.code) | (u < p.share)]
        openly = rs[(hs[rs] != p.code) & (u >= p.share) & (rng.random(len(rs)) < p.open_share)] \
            if p.open_code >= 0 else rs[:0]
        for sel, code, factor in ((prem, p.code, p.factor), (openly, p.open_code, 1.0)):
            if not len(sel):
                continue
            hs[sel] = code
            mass[sel] = np.round(goods.mass[code] * rng.lognormal(0, 0.7, len(sel)), 1) + 1.0
            value[sel] = mass[sel] * goods.uv[code] * price[p.trader] * factor \
                * rng.lognormal(0, k["item_price_spread"], len(sel))
        rows.append(prem)
    return np.sort(np.concatenate(rows)) if rows else np.array([], dtype=int)
