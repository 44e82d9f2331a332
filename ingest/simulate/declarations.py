"""The declarations: headers and goods items for every trader, drawn in one vectorised pass.

Why a module of its own: this is the bulk of a world (a million rows at the largest sizes) and the
one place that must stay fast and lean, so it works on arrays over traders, headers and items and
builds the frame from categoricals, never a Python string per row. Headers are drawn for traders by
their weight and active period (each trader's required minimum first), items by its goods; then the
priced schemes are planted on the rows (`cover.plant_priced_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingest.simulate.cover import PricedRows, plant_priced_rows
from ingest.simulate.goods import Goods
from ingest.simulate.knobs import START
from ingest.simulate.logistics import OFFICES, ROUTE_LIST, plate
from ingest.simulate.premium import Premium, apply_premium
from ingest.simulate.traders import Trader
from ingest.simulate.world import World

ITEMS_P = np.array([0.64, 0.16, 0.09, 0.06, 0.05])  # goods items per declaration: 1..5


@dataclass
class Items:
    """Per goods-item row of the frame: its trader, whether it is an export, its header and day."""

    trader: np.ndarray
    is_export: np.ndarray
    header: np.ndarray       # header number; the items of one header are contiguous
    date: np.ndarray         # day of the world (0 = START)


def draw_declarations(w: World, traders: list[Trader], goods: Goods, N: int, k: dict,
                      premium: list[Premium] | None = None) -> tuple[pd.DataFrame, Items, PricedRows]:
    """Exactly `N` goods-item rows for `traders`, as the declarations.csv frame, with where they sit;
    `premium` importers' rows are rewritten in a stream of their own (`premium.apply_premium`)."""
    rng = w.rng(10)
    T = len(traders)
    pid = np.array([p["party_id"] for p in w.parties], dtype=object)
    n_parties = len(pid)
    start = np.array([t.start for t in traders])
    end = np.maximum(np.array([t.end for t in traders]), start)
    weight = np.array([t.weight for t in traders]) * (end - start + 1)

    # items per header, exactly N rows
    kk = rng.choice(np.arange(1, 6), size=int(N / 1.2) + 10, p=ITEMS_P)
    cs = np.cumsum(kk)
    H = int(np.searchsorted(cs, N)) + 1
    kk = kk[:H].copy()
    kk[-1] -= int(cs[H - 1] - N)
    forced = np.repeat(np.arange(T), [t.min_headers for t in traders])
    if len(forced) > H:
        raise ValueError(f"{N} rows cannot hold {len(forced)} required declarations: "
                         "lower traders or schemes")
    htr = np.concatenate([forced, rng.choice(T, size=H - len(forced), p=weight / weight.sum())])
    rng.shuffle(htr)
    hdate = start[htr] + (rng.random(H) * (end[htr] - start[htr] + 1)).astype(np.int64)
    fas = np.array([t.first_at_start for t in traders])
    _, first_h = np.unique(htr, return_index=True)
    first_h = first_h[fas[htr[first_h]]]
    hdate[first_h] = start[htr[first_h]]
    order = np.lexsort((htr, hdate))
    htr, hdate = htr[order], hdate[order]
    # kk stays in its own random order: the items count is independent of the trader

    # trader arrays
    party = np.array([t.party for t in traders])
    nsup = np.array([len(t.sup) for t in traders])
    sup = np.full((T, 3), -1)
    rte = np.full((T, 3), -1)
    ncar = np.array([len(t.carriers) for t in traders])
    car = np.full((T, 2), -1)
    nhs = np.array([len(t.hs) for t in traders])
    hs_tab = np.full((T, 4), -1)
    for i, t in enumerate(traders):
        sup[i, :len(t.sup)] = t.sup
        rte[i, :len(t.routes)] = t.routes
        car[i, :len(t.carriers)] = t.carriers
        hs_tab[i, :len(t.hs[:4])] = t.hs[:4]
    nhs = np.minimum(nhs, 4)
    broker = np.array([t.broker for t in traders])
    office = np.array([t.office for t in traders])
    price = np.array([t.price for t in traders])
    exports_ok = np.array([t.exports_ok for t in traders])

    # header attributes
    s_slot = (rng.random(H) * nsup[htr]).astype(int)
    consignor = sup[htr, s_slot]
    route = rte[htr, s_slot]
    carrier = car[htr, (rng.random(H) * ncar[htr]).astype(int)]
    hbroker = broker[htr]
    trader_party = party[htr].copy()
    # duplicates: part of a trader's declarations carry another record of the same firm
    for i, t in enumerate(traders):
        if t.dup:
            hs_ = rng.permutation(np.flatnonzero(htr == i))
            # the first header keeps the original record, the next ones go one to each duplicate
            # (so every record is seen), the rest by the trader's share
            rest = hs_[1 + len(t.dup):]
            sel = np.concatenate([hs_[1:1 + len(t.dup)], rest[rng.random(len(rest)) < t.dup_share]])
            pick = np.concatenate([np.arange(len(t.dup)), rng.integers(0, len(t.dup), len(sel) - len(t.dup))])
            trader_party[sel] = np.array(t.dup)[pick[:len(sel)]]
    self_decl = (hbroker < 0) | (rng.random(H) < 0.4)
    declarant = np.where(self_decl, trader_party, hbroker)
    is_export = exports_ok[htr] & (rng.random(H) < k["export_share"])
    consignee = np.where(is_export, consignor, trader_party)
    consignor_p = np.where(is_export, trader_party, consignor)
    regime = np.where(is_export, "EX10", np.where(rng.random(H) < 0.03, "IM70", "IM40"))
    channel = rng.choice(np.array(["green", "yellow", "red", "blue"]), size=H, p=[0.62, 0.22, 0.12, 0.04])

    r_dest = np.array([r[0] for r in ROUTE_LIST])
    r_disp = np.array([r[1] for r in ROUTE_LIST])
    r_tr = np.array([r[2] for r in ROUTE_LIST], dtype=object)
    r_bp = np.array([r[3] for r in ROUTE_LIST], dtype=object)
    r_mode = np.array([r[4] for r in ROUTE_LIST], dtype=object)
    rev_tr = np.array([";".join(reversed(x.split(";"))) if x else "" for x in r_tr], dtype=object)
    dest = np.where(is_export, r_disp[route], r_dest[route])
    disp = np.where(is_export, r_dest[route], r_disp[route])
    transit = np.where(is_export, rev_tr[route], r_tr[route])
    mode = r_mode[route]

    # vehicles: a carrier's fleet of plates; rail wagons and flights drawn per declaration
    fleet = np.zeros(n_parties, dtype=int)
    for t in traders:
        for c in t.carriers:
            fleet[c] = 1
    fleet_size = {int(c): (200 if int(c) in w.hub_carriers else int(rng.integers(5, 40)))
                  for c in np.flatnonzero(fleet)}
    veh = np.empty(H, dtype=object)
    plate_no = rng.integers(0, 40, H)
    road = mode == "road"
    for c, fs in fleet_size.items():
        m = road & (carrier == c)
        if not m.any():
            continue
        cc = w.parties[c]["country"]
        sub = np.random.default_rng([w.seed, 11, int(c)])
        plates = [plate(sub, cc) for _ in range(fs)]
        veh[m] = np.array(plates, dtype=object)[plate_no[m] % fs]
    rail = mode == "rail"
    veh[rail] = np.char.add("wagon ",
                            rng.integers(50_000_000, 99_999_999, rail.sum()).astype(str)).astype(object)
    air = mode == "air"
    flights = np.array(["HY-0602", "HY-0272", "KC-0921", "TK-0370", "CZ-6029", "FZ-0761", "KE-0941",
                        "AI-0143"])
    veh[air] = flights[rng.integers(0, len(flights), air.sum())]
    sea = mode == "sea"
    veh[sea] = np.char.add("MV Caspian ", rng.integers(1, 30, sea.sum()).astype(str)).astype(object)
    veh[rng.random(H) < k["missing_share"] * 2] = None

    # ids: office code / date / running number, in date order
    off_code = np.array([o[0] for o in OFFICES])
    off_name = np.array([o[1] for o in OFFICES], dtype=object)
    dates = (START + hdate.astype("timedelta64[D]")).astype(str)
    kzo = np.array([o[2] in ("Almaty", "Astana") for o in OFFICES])
    ho = office[htr]
    # Uzbek GTD numbers read office/dd.mm.yyyy/number, Kazakh ones office/ddmmyy/number
    did = np.array([f"{oc}/{d[8:10]}{d[5:7]}{d[2:4]}/{i:07d}" if kz
                    else f"{oc}/{d[8:10]}.{d[5:7]}.{d[:4]}/{i:07d}"
                    for i, (oc, d, kz) in enumerate(zip(off_code[ho], dates, kzo[ho], strict=True), start=1)],
                   dtype=object)

    # items
    hi = np.repeat(np.arange(H), kk)
    starts = np.cumsum(kk) - kk
    item_no = np.arange(N) - starts[hi] + 1
    itr = htr[hi]
    u = rng.random(N)
    base_p = np.array([0.55, 0.25, 0.12, 0.08])
    probs = np.where(np.arange(4)[None, :] < nhs[:, None], base_p[None, :], 0.0)
    cum = np.cumsum(probs / probs.sum(1, keepdims=True), axis=1)
    slot = np.minimum((u[:, None] > cum[itr]).sum(1), nhs[itr] - 1)
    hs = hs_tab[itr, slot]
    mass = np.round(goods.mass[hs] * rng.lognormal(0, 0.7, N) / np.sqrt(kk[hi]), 1) + 1.0
    value = mass * goods.uv[hs] * price[itr] * rng.lognormal(0, k["item_price_spread"], N)

    # the priced schemes: undervalued ring imports and cover items (`cover`)
    planted = plant_priced_rows(rng, traders, goods, k, itr, ~is_export[hi], price, hs, mass, value)
    if premium:
        planted.premium_rows = apply_premium(w.rng(8), premium, goods, k, itr, ~is_export[hi], price,
                                             hs, mass, value)
    cover_rows, cov_hs, under_rows = planted.cover_rows, planted.cover_hs, planted.under_rows
    # planted rows never sit in a red lane by chance: only the offences below put them there
    planted_h = np.unique(hi[np.concatenate([cover_rows, under_rows])])
    channel[planted_h] = np.where(rng.random(len(planted_h)) < 0.8, "green", "yellow")

    air_i = mode[hi] == "air"
    air_mass = np.round(mass[air_i] * 0.12, 1) + 1.0
    value[air_i] *= air_mass / mass[air_i]
    mass[air_i] = air_mass
    duty_rate = goods.duty[hs].copy()
    duty_rate[is_export[hi]] = 0.0
    value = np.round(value, 2)
    gross = np.round(mass * rng.uniform(1.02, 1.15, N), 1)
    unit = goods.unit[hs].copy()
    qty = np.round(mass / goods.unit_kg[hs], 0)
    unit[cover_rows] = goods.unit[cov_hs]
    qty[cover_rows] = np.round(mass[cover_rows], 1)

    miss = k["missing_share"]

    def hole() -> np.ndarray:
        return rng.random(N) < miss

    # string columns as categoricals over small per-header or per-code tables: a million rows cost
    # codes, not a million Python strings (peak memory and to_csv time both drop)
    veh_codes, veh_vals = pd.factorize(veh)
    insp0 = np.isin(channel[hi], ["red", "yellow"]) & (rng.random(N) < 0.7)
    dec = pd.DataFrame({
        "declaration_id": _cat(did, hi),
        "item_no": item_no,
        "date": _cat(dates, hi),
        "regime": _cat(regime, hi),
        "customs_office": _cat(off_name, ho[hi]),
        "border_post": _cat(r_bp, route[hi]),
        "declarant_id": _cat(pid, declarant[hi]),
        "consignee_id": _cat(pid, consignee[hi]),
        "consignor_id": _cat(pid, consignor_p[hi]),
        "carrier_id": _cat(pid, np.maximum(carrier[hi], 0), (carrier[hi] < 0) | hole()),
        "broker_id": _cat(pid, np.maximum(hbroker[hi], 0), hbroker[hi] < 0),
        "vehicle_id": pd.Categorical.from_codes(veh_codes[hi], categories=veh_vals.astype(str)),
        "transport_mode": _cat(r_mode, route[hi]),
        "hs_code": _cat(goods.code, hs),
        "goods_description": _cat(goods.desc, hs, hole()),
        "origin_country": pd.Categorical(np.where(is_export[hi], r_dest[route[hi]], _origin(rng, disp[hi]))),
        "dispatch_country": _cat(disp, hi),
        "destination_country": _cat(dest, hi),
        "transit_countries": _cat(transit, hi, transit[hi] == ""),
        "net_mass_kg": mass,
        "gross_mass_kg": np.where(hole(), np.nan, gross),
        "quantity": np.where(hole(), np.nan, qty),
        "quantity_unit": pd.Categorical(unit),
        "customs_value": value,
        "currency": pd.Categorical.from_codes(np.where(hole(), -1, 0), categories=["USD"]),
        "duty_rate": duty_rate,
        "duty_amount": np.round(value * duty_rate / 100, 2),
        "channel": _cat(channel, hi),
        "inspection_result": pd.Categorical.from_codes(np.where(insp0, 0, -1),
                                                       categories=["clear", "violation"]),
    })
    return dec, Items(trader=itr, is_export=is_export[hi], header=hi, date=hdate[hi]), planted


def _cat(table: np.ndarray, codes: np.ndarray, missing: np.ndarray | None = None) -> pd.Categorical:
    """`table[codes]` as a categorical (None where `missing`), without materialising the strings."""
    cats, inv = np.unique(np.asarray(table).astype(str), return_inverse=True)
    c = inv.reshape(-1)[codes]
    if missing is not None:
        c = np.where(missing, -1, c)
    return pd.Categorical.from_codes(c, categories=cats)


def _origin(rng, disp: np.ndarray) -> np.ndarray:
    """Goods dispatched from the Emirates were mostly made elsewhere (re-export)."""
    out = disp.astype(object).copy()
    ae = disp == "AE"
    out[ae] = np.array(["CN", "CN", "IN", "KR", "AE"], dtype=object)[rng.integers(0, 5, ae.sum())]
    return out
