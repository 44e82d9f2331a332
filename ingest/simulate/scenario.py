"""Randomised scenarios: a world's scheme parameters drawn from wide ranges, per seed.

Why a module of its own: the detectors were tuned on the fixed world's shapes (one captured broker
per ring, two suppliers, every ring with a record, cover priced at 75-100 % of the risk goods). A
sweep over worlds whose shapes vary (issue 12) is only honest if those shapes are drawn, not chosen,
and drawn from a stream of their own (`[seed, 40]`): the fixed world never reads it, so its bytes do
not move, and a randomised world is still one seed -> one set of bytes.

`draw_scenario(seed, declarations)` returns knob overrides (names of `default_knobs` and
`SCENARIO_KNOBS`); `generate_world(..., scenario="randomised")` applies them under the caller's own
knobs and records them in truth.json as "scenario".
"""

from __future__ import annotations

import numpy as np

SCENARIOS = ("fixed", "randomised")


def draw_scenario(seed: int, declarations: int) -> dict:
    """Knob overrides for one randomised world: counts, shapes, prices, record quality, offences."""
    rng = np.random.default_rng([seed, 40])
    n = declarations

    def u(lo: float, hi: float) -> float:
        return round(float(rng.uniform(lo, hi)), 3)

    def count(per: float, lo: float, hi: float, least: int) -> int:
        return max(least, round(n / per * u(lo, hi)))

    s: dict = {}
    # sizes of the schemes and traps
    s["rings"] = count(4000, 0.7, 2.2, 3)
    lo = int(rng.integers(3, 6))
    s["ring_size"] = [lo, lo + int(rng.integers(2, 8))]
    s["phoenix"] = count(6000, 0.8, 2.5, 2)
    s["smugglers"] = count(10000, 0.5, 3.0, 2)
    s["duplicates"] = count(2500, 0.5, 2.0, 3)
    s["newcomers"] = count(1500, 0.5, 2.0, 5)
    s["closed_honest"] = count(3000, 0.5, 2.0, 3)
    s["business_centres"] = count(25000, 1.0, 4.0, 1)
    lo = int(rng.integers(15, 50))
    s["business_centre_size"] = [lo, lo + int(rng.integers(10, 60))]
    s["holdings"] = int(rng.integers(1, 4))
    lo = int(rng.integers(5, 13))
    s["holding_size"] = [lo, lo + int(rng.integers(3, 16))]
    s["hub_brokers"] = int(rng.integers(1, 6))
    s["hub_carriers"] = int(rng.integers(1, 6))
    s["hub_broker_share"] = u(0.25, 0.7)
    s["hub_carrier_share"] = u(0.25, 0.7)
    s["accountants"] = count(8000, 0.5, 3.0, 1)
    s["accountant_clients"] = [int(rng.integers(8, 16)), int(rng.integers(20, 41))]
    s["families"] = count(4000, 0.5, 3.0, 1)
    s["family_size"] = [2, int(rng.integers(3, 6))]
    # how rings are tied and caught
    s["ring_offender_share"] = u(0.15, 0.6)
    unrec, uncap = u(0.0, 0.35), u(0.0, 0.5)
    s["unrecorded_rings"] = [r for r in range(s["rings"]) if rng.random() < unrec]
    s["uncaptured_rings"] = [r for r in range(s["rings"]) if rng.random() < uncap]
    if rng.random() < 0.15:  # nominee directors only
        s["ring_link_p"] = [1.0, 0.0, 0.0, 0.0, 0.0]
    else:
        p = rng.dirichlet(np.full(5, 0.8))  # uneven: one or two kinds carry most links
        s["ring_link_p"] = (p / p.sum()).tolist()
    s["ring_links_per_member"] = [1, int(rng.integers(1, 4))]
    s["ring_suppliers"] = int(rng.integers(2, 7))
    s["ring_member_suppliers"] = [1, int(min(3, s["ring_suppliers"], rng.integers(1, 4)))]
    s["ring_undervaluation_share"] = u(0.1, 0.5)
    # prices
    s["trader_price_spread"] = u(0.05, 0.35)
    s["item_price_spread"] = u(0.1, 0.45)
    s["goods_price_spread"] = u(0.3, 0.8)
    lo_f = u(0.5, 0.9)
    s["cover_price_factor"] = [lo_f, round(min(1.2, lo_f + u(0.05, 0.4)), 3)]
    s["cover_mass_spread"] = u(0.2, 0.9)
    lo_f = u(0.15, 0.5)
    s["undervaluation_factor"] = [lo_f, round(min(0.85, lo_f + u(0.1, 0.3)), 3)]
    s["cover_items"] = count(300, 0.5, 2.0, 24)
    s["cover_caught_share"] = u(0.05, 0.5)
    # offences
    s["offence_evaded_factor"] = u(0.05, 0.6)
    s["offender_paperwork_share"] = u(0.0, 0.3)
    s["honest_violation_rate"] = u(0.001, 0.012)
    s["documentation_offences"] = count(4000, 0.5, 4.0, 3)
    s["trap_paperwork_share"] = u(0.05, 0.35)
    # record quality
    s["messy_share"] = u(0.1, 0.6)
    s["missing_share"] = u(0.0, 0.15)
    s["cyrillic_share"] = u(0.2, 0.7)
    s["kz_share"] = u(0.2, 0.6)
    s.update(_premium(seed, n))
    return s


def _premium(seed: int, n: int) -> dict:
    """The premium importers' knobs, from a stream of their own (`[seed, 42]`): added after the other
    knobs were tuned on, they leave every draw above as it was."""
    rng = np.random.default_rng([seed, 42])
    lo = round(float(rng.uniform(1.8, 2.6)), 3)
    share = round(float(rng.uniform(0.2, 0.6)), 3)
    return {
        "premium_importers": max(2, round(n / 3000 * float(rng.uniform(0.5, 3.0)))),
        "premium_factor": [lo, round(lo + float(rng.uniform(0.4, 4.0 - lo)), 3)],
        "premium_share": [share, round(min(0.95, share + float(rng.uniform(0.1, 0.4))), 3)],
        "premium_open_share": round(float(rng.uniform(0.2, 0.8)), 3),
    }
