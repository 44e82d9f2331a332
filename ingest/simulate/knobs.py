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


def resolve_knobs(declarations: int, knobs: dict) -> dict:
    """`default_knobs(declarations)` with `knobs` applied; too few rows or an unknown name is refused."""
    if declarations < 500:
        raise ValueError("a world needs at least 500 declaration rows to hold its schemes")
    k = default_knobs(declarations)
    unknown = sorted(set(knobs) - set(k))
    if unknown:
        raise TypeError(f"unknown knobs {unknown}; known: {sorted(k)}")
    k.update(knobs)
    return k


def day(d: int) -> str:
    """Day `d` of the world (0 = START) as an ISO date."""
    return str(START + np.timedelta64(int(d), "D"))
