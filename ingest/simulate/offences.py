"""Offences: which planted rows are caught, and the honest noise around them.

Why a module of its own: the offence record is what an analyst sees of the schemes, and it must
follow them exactly: planted offenders (ring offenders, phoenix predecessors before they wind up,
smugglers) are caught one to three times, some cover items are caught (`cover`), clean ring
members and successors never are, and ordinary traders get a low base rate of honest violations
and documentation offences. Each catch puts its declaration in the red lane and marks the item a
violation, so `declarations.csv` and `offences.csv` agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.simulate.cover import PricedRows, catch_cover_items, cover_truth
from ingest.simulate.declarations import Items
from ingest.simulate.goods import Goods
from ingest.simulate.knobs import DAYS, START
from ingest.simulate.traders import Trader
from ingest.simulate.world import World


class _Catches:
    """The offences found so far, and the channel and inspection columns they rewrite."""

    def __init__(self, rng, dec: pd.DataFrame, items: Items):
        self.rng, self.dec, self.hi, self.hdate = rng, dec, items.header, items.date
        self.channel = dec["channel"].to_numpy(dtype=object).copy()
        self.insp = dec["inspection_result"].to_numpy(dtype=object).copy()
        self.rows: list[dict] = []
        self.caught_rows: set[int] = set()

    def catch(self, r: int, otype: str, declared: str | None = None, actual: str | None = None,
              evaded: float = 0.0, status: str | None = None) -> None:
        """An offence on row `r`, found within 40 days: its whole declaration goes to the red lane."""
        rng, dec, hi, channel, insp = self.rng, self.dec, self.hi, self.channel, self.insp
        h = hi[r]
        same = np.arange(*np.searchsorted(hi, [h, h + 1]))  # the items of one declaration are contiguous
        channel[same] = "red"
        insp[same] = np.where(insp[same] == "violation", "violation", "clear")
        insp[r] = "violation"
        self.caught_rows.add(int(r))
        self.rows.append({
            "_row": int(r), "date": min(int(self.hdate[r]) + int(rng.integers(0, 40)), DAYS - 1),
            "party_id": dec["consignee_id"].iat[r], "declaration_id": dec["declaration_id"].iat[r],
            "offence_type": otype, "declared_hs_code": declared, "actual_hs_code": actual,
            "evaded_amount": round(max(evaded, 0.0), 2),
            "status": status or ("confirmed" if rng.random() < 0.85 else "suspected"),
        })


def draw_offences(w: World, traders: list[Trader], goods: Goods, dec: pd.DataFrame, items: Items,
                  planted: PricedRows, k: dict) -> tuple[pd.DataFrame, dict, dict]:
    """The offences frame, truth's "cover" and "undervaluation" entries; rewrites `dec`'s values,
    duties, channels and inspection results to match."""
    rng = w.rng(20)
    N = len(dec)
    itr, is_exp, hdate = items.trader, items.is_export, items.date
    value = dec["customs_value"].to_numpy(copy=True)
    duty = dec["duty_rate"].to_numpy()
    found = _Catches(rng, dec, items)
    catch, rows, caught_rows = found.catch, found.rows, found.caught_rows

    offender = np.array([t.offender for t in traders])
    # caught cover items: only on offenders' rows; each cover pair caught at least once where possible
    caught_cover = catch_cover_items(rng, catch, goods, planted, offender[itr], value, duty, k)

    under_set = set(planted.under_rows.tolist())
    imp_rows_by_trader: dict[int, np.ndarray] = {}
    imp = ~is_exp
    special = np.flatnonzero(offender)
    order = np.argsort(itr, kind="stable")
    bounds = np.searchsorted(itr[order], np.arange(len(traders) + 1))
    for ti in special:
        rs = order[bounds[ti]:bounds[ti + 1]]
        imp_rows_by_trader[int(ti)] = rs[imp[rs]]
    caught_under: list[int] = []
    # a scenario may record part of the planted offenders' catches as paperwork only (its own stream)
    paper = w.rng(120) if k["offender_paperwork_share"] > 0 else None
    uncaught_cover = set(planted.cover_rows.tolist()) - caught_cover
    for ti in special:
        t = traders[ti]
        rs = imp_rows_by_trader[int(ti)]
        have = sum(1 for o in rows if itr[o["_row"]] == ti)
        want = int(rng.integers(1, 4)) if t.kind in ("ring", "phoenix_pred") else 1
        if t.kind == "phoenix_pred":  # caught well before it was wound up
            rs = rs[hdate[rs] <= t.end - 45] if (hdate[rs] <= t.end - 45).any() else rs
        free = np.array([r for r in rs if r not in caught_rows and r not in uncaught_cover], dtype=int)
        if len(free) == 0:
            continue
        for r in rng.choice(free, size=min(len(free), max(0, want - have)), replace=False):
            r = int(r)
            if paper is not None and paper.random() < k["offender_paperwork_share"]:
                catch(r, "documentation", status="confirmed")
            elif r in under_set:
                caught_under.append(r)
                catch(r, "undervaluation", evaded=value[r] * 1.5 * duty[r] / 100)
            elif t.kind == "phoenix_pred" and rng.random() < 0.5:
                value[r] = round(value[r] * 0.4, 2)
                caught_under.append(r)
                catch(r, "undervaluation", evaded=value[r] * 1.5 * duty[r] / 100)
            else:
                catch(r, ("smuggling", "origin")[int(rng.integers(2))],
                      evaded=value[r] * k["offence_evaded_factor"])

    _honest_noise(rng, found, traders, goods, dec, items, value, duty, N, k)
    if k["trap_paperwork_share"] > 0:
        _trap_paperwork(w.rng(121), found, traders, dec, items, k["trap_paperwork_share"])

    dec["customs_value"] = value
    dec["duty_amount"] = np.round(value * duty / 100, 2)
    dec["channel"] = pd.Categorical(found.channel, categories=["green", "yellow", "red", "blue"])
    dec["inspection_result"] = pd.Categorical(found.insp, categories=["clear", "violation"])
    off = pd.DataFrame(rows, columns=["_row", "date", "party_id", "declaration_id", "offence_type",
                                      "declared_hs_code", "actual_hs_code", "evaded_amount", "status"])
    off = off.sort_values(["date", "_row", "offence_type"], kind="stable").reset_index(drop=True)
    year = (START + off["date"].to_numpy().astype("timedelta64[D]")).astype(str)
    off["offence_id"] = [f"OF-{y[:4]}-{i:06d}" for i, y in enumerate(year, start=1)]
    off["date"] = year
    off = off.drop(columns="_row")

    key = (dec["declaration_id"].astype(str) + "/" + dec["item_no"].astype(str)).to_numpy()
    cu = set(caught_under)
    under_truth = {
        "planted_declarations": [key[r] for r in planted.under_rows if int(r) not in cu],
        "caught_declarations": [key[r] for r in sorted(cu)],
    }
    return off, cover_truth(goods, key, planted, caught_cover), under_truth


def _trap_paperwork(rng, found: _Catches, traders: list[Trader], dec: pd.DataFrame, items: Items,
                    share: float) -> None:
    """A paperwork offence (no duty evaded) on `share` of the honest look-alikes (accountant clients,
    family firms): the weak own record the issue says must not outrank a ring member."""
    itr = items.trader
    order = np.argsort(itr, kind="stable")
    bounds = np.searchsorted(itr[order], np.arange(len(traders) + 1))
    for ti, t in enumerate(traders):
        if not t.paperwork_trap or rng.random() >= share:
            continue
        rs = order[bounds[ti]:bounds[ti + 1]]
        rs = rs[~items.is_export[rs]]
        if len(rs) == 0:
            continue
        r = int(rs[rng.integers(len(rs))])
        found.rows.append({"_row": r, "date": min(int(items.date[r]) + int(rng.integers(0, 20)), DAYS - 1),
                           "party_id": dec["consignee_id"].iat[r],
                           "declaration_id": dec["declaration_id"].iat[r],
                           "offence_type": "documentation", "declared_hs_code": None, "actual_hs_code": None,
                           "evaded_amount": 0.0, "status": "confirmed"})


def _honest_noise(rng, found: _Catches, traders: list[Trader], goods: Goods, dec: pd.DataFrame, items: Items,
                  value: np.ndarray, duty: np.ndarray, N: int, k: dict) -> None:
    """A few honest violations and documentation offences among ordinary traders' imports."""
    catch, rows, channel = found.catch, found.rows, found.channel
    itr, hdate = items.trader, items.date
    noise = np.array([t.noise_ok for t in traders])[itr] & ~items.is_export
    cand = np.flatnonzero(noise & np.isin(channel, ["red", "yellow"]))
    n_v = min(len(cand), round(N * k["honest_violation_rate"]))
    code_by_hs6 = {h: c for h, c in zip(goods.hs6, goods.code, strict=True)}
    hs_arr = dec["hs_code"].to_numpy()
    for r in np.sort(rng.choice(cand, size=n_v, replace=False)):
        r = int(r)
        t = rng.choice(["undervaluation", "origin", "other", "misclassification"], p=[.45, .25, .15, .15])
        declared = actual = None
        if t == "misclassification":  # a neighbouring code of the same heading
            h4 = hs_arr[r][:4]
            alt = [c for h6, c in code_by_hs6.items() if h6[:4] == h4 and c != hs_arr[r]]
            if alt:
                declared, actual = hs_arr[r], alt[int(rng.integers(len(alt)))]
            else:
                t = "other"
        if t == "undervaluation":  # the inspection found it because the price really was low
            full = value[r]
            value[r] = round(full * float(rng.uniform(0.4, 0.8)), 2)
            catch(r, "undervaluation", evaded=(full - value[r]) * duty[r] / 100)
            continue
        catch(r, str(t), declared, actual, value[r] * duty[r] / 100 * float(rng.uniform(0.05, 0.4)))
    cand = np.flatnonzero(noise)
    for r in rng.choice(cand, size=min(len(cand), int(k["documentation_offences"])), replace=False):
        rows.append({"_row": int(r), "date": min(int(hdate[r]) + int(rng.integers(0, 20)), DAYS - 1),
                     "party_id": dec["consignee_id"].iat[int(r)],
                     "declaration_id": dec["declaration_id"].iat[int(r)],
                     "offence_type": "documentation", "declared_hs_code": None, "actual_hs_code": None,
                     "evaded_amount": 0.0, "status": "confirmed"})
