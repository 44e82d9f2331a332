"""The size and period of a world: its knobs and its two-year calendar.

Why a module of its own: every scheme reads the same knobs and counts days from the same first
date, and `truth.json` records the resolved knobs; the defaults scale with the number of rows.
"""

from __future__ import annotations

import numpy as np

START = np.datetime64("2024-01-01")
DAYS = 731  # two years of declarations: 2024-01-01 .. 2025-12-31


def default_knobs(declarations: int) -> dict:
    """Sizes that scale with the number of goods-item rows; every one may be overridden."""
    n = declarations
    return {
        "traders": max(80, n // 20),
        "consignors": max(40, n // 80),
        "brokers": max(8, n // 1500),
        "carriers": max(8, n // 1200),
        "hub_brokers": 3,
        "hub_carriers": 3,
        "hub_broker_share": 0.55,
        "hub_carrier_share": 0.5,
        "rings": max(3, n // 4000),
        "ring_size": [4, 10],
        "ring_offender_share": 0.4,
        "ring_undervaluation_share": 0.3,
        "ring_min_headers": 6,
        "phoenix": max(2, n // 6000),
        "duplicates": max(3, n // 2500),
        "business_centres": max(1, n // 25000),
        "business_centre_size": [30, 80],
        "holdings": max(1, n // 250000),
        "holding_size": [8, 20],
        "newcomers": max(5, n // 1500),
        "closed_honest": max(3, n // 3000),
        "smugglers": max(2, n // 10000),
        "cover_items": max(24, n // 300),
        "cover_caught_share": 0.35,
        "export_share": 0.06,
        "honest_violation_rate": 0.004,
        "documentation_offences": max(3, n // 4000),
        "kz_share": 0.35,
        "cyrillic_share": 0.4,
        "messy_share": 0.3,
        "missing_share": 0.05,
        "hs_codes": min(600, max(80, n // 100)),
        "hs_path": None,
    }


# Scheme parameters the fixed world keeps at today's values (so its bytes do not move) and a
# randomised scenario (`ingest.simulate.scenario`) draws per world. Each neutral value reproduces the
# fixed world's draws exactly; truth.json lists one under "knobs" only when it differs from it.
SCENARIO_KNOBS: dict = {
    "trader_price_spread": 0.12,        # sigma of a trader's log price level
    "item_price_spread": 0.2,           # sigma of an item's log price around its trader's level
    "goods_price_spread": 0.45,         # sigma of a code's log price around its chapter's median
    "cover_price_factor": [0.75, 1.0],  # a cover item's value per kg as a share of the risk goods'
    "cover_mass_spread": 0.5,           # sigma of a cover item's log mass around the risk goods' shipment
    "undervaluation_factor": [0.25, 0.55],
    # evaded duty of a planted offender's smuggling/origin catch, per value
    "offence_evaded_factor": 0.3,
    "unrecorded_rings": [],             # ring numbers with no recorded offence at all
    "uncaptured_rings": [],             # ring numbers without a captured broker (members use ordinary ones)
    "ring_link_p": None,                # weights of (director, phone, address, bank, email) for ring links
    "ring_links_per_member": [1, 2],    # identifiers a member takes from its parent in the tree
    "ring_suppliers": 2,                # suppliers (with their routes) in a ring's pool
    "ring_member_suppliers": None,      # [lo, hi] suppliers each member uses from the pool (None: all)
    "accountants": 0,                   # outsourced accountants whose phone/email/address clients share
    "accountant_clients": [10, 40],
    "families": 0,                      # family firms: one director and one address over 2-5 firms
    "family_size": [2, 5],
    # share of accountant clients and family firms with a paperwork offence
    "trap_paperwork_share": 0.0,
    "offender_paperwork_share": 0.0,    # share of planted offenders' catches recorded as paperwork only
    # honest premium importers (`premium`): the luxury end of a low-duty code, priced like a cover
    "premium_importers": 0,
    "premium_factor": [1.8, 4.0],       # their value per kg over the code's usual one
    "premium_share": [0.3, 0.8],        # share of an importer's imports under its premium code
    "premium_open_share": 0.5,          # share of importers also declaring a higher-duty heading openly
}


def resolve_knobs(declarations: int, knobs: dict) -> dict:
    """`default_knobs(declarations)` and `SCENARIO_KNOBS` with `knobs` applied; too few rows or an
    unknown name is refused."""
    if declarations < 500:
        raise ValueError("a world needs at least 500 declaration rows to hold its schemes")
    k = default_knobs(declarations) | {n: (list(v) if isinstance(v, list) else v)
                                       for n, v in SCENARIO_KNOBS.items()}
    unknown = sorted(set(knobs) - set(k))
    if unknown:
        raise TypeError(f"unknown knobs {unknown}; known: {sorted(k)}")
    k.update(knobs)
    return k


def recorded_knobs(k: dict) -> dict:
    """The knobs truth.json records: every size knob, and a scenario knob only where it was moved."""
    return {n: v for n, v in k.items() if n not in SCENARIO_KNOBS or v != SCENARIO_KNOBS[n]}


def day(d: int) -> str:
    """Day `d` of the world (0 = START) as an ISO date."""
    return str(START + np.timedelta64(int(d), "D"))
