"""Field values and masks for risk-profile criteria: what `graph.declarations.profiles` evaluates with.

`Columns` turns a declarations frame (or, for one posted item, columns of length one) and a
`ProfileContext` into one numpy array per criteria field; `eval_tree` combines the conditions of a
parsed criteria tree into a boolean mask. Vectorised: text columns are factorised, so each distinct
HS code, country or party key is looked at once, whether the frame has one row or a million.

Missing values: a condition on a missing value is false (so is `!=`); `not` of it is true.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd

from graph.declarations.profile_criteria import ROLES, And, Cond, Node, Not, field_type

NEW_TRADER_DAYS = 365
SMALL = 8  # frames up to this many rows skip factorising (same values, fewer steps)


# --------------------------------------------------------------------------- context and fields

@dataclass
class ProfileContext:
    """What the criteria read beyond the item's own columns, keyed by party key.

    Built by the batch run from its network results (`graph.pipeline.profile_context`), and for one
    posted item from the stored party properties; `norms` are the usual log values per kg per HS
    level (`goods.hs_norms`), {6: frame, 4: frame, 2: frame}, any level may be missing.
    """

    party_risk: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    party_group: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    phoenix: frozenset[str] = frozenset()
    registered_on: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))
    offender_hops: pd.Series | None = None  # None: not computed (the criterion then never holds)
    party_category: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # trader category
    norms: dict[int, pd.DataFrame] = field(default_factory=dict)
    #: party key -> (best live screening hit, the lists hit): `watchlist_tables` of the live hits
    watchlist: dict[str, tuple[float, tuple[str, ...]]] = field(default_factory=dict)

    @cached_property
    def lookups(self) -> dict[str, dict]:
        """The tables as dicts (one hash lookup per distinct party or code, for one row or a million)."""
        def d(s: pd.Series | None) -> dict:
            return {} if s is None else {k: v for k, v in s.items() if not missing(v)}
        reg = {k: np.datetime64(pd.Timestamp(v), "ns") for k, v in d(self.registered_on).items()
               if not pd.isna(v)}
        return {"risk": d(self.party_risk), "group": d(self.party_group), "registered_on": reg,
                "offender_hops": d(self.offender_hops), "category": d(self.party_category),
                **{f"norm{lv}": d(f["median"]) for lv, f in self.norms.items() if f is not None and len(f)}}


def watchlist_tables(hits: pd.DataFrame | None) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Party key -> (best hit, sorted list names) from screening hits (columns subject, list, score,
    state; officers' rows, with `subject_label` Person, are left out: the criteria are about the
    party). A hit marked false positive never counts; a confirmed one counts 1. The one rule both
    the batch run (its live hits) and `POST /assess` (the stored hits of the item's parties) use."""
    if hits is None or hits.empty:
        return {}
    h = hits[hits["state"] != "false_positive"]
    if "subject_label" in h:
        h = h[h["subject_label"].fillna("Party") == "Party"]
    out: dict[str, tuple[float, tuple[str, ...]]] = {}
    for subject, score, state, name in zip(h["subject"], h["score"], h["state"], h["list"], strict=True):
        value = 1.0 if state == "confirmed" else float(score or 0.0)
        best, lists = out.get(str(subject), (0.0, ()))
        out[str(subject)] = (max(best, value), tuple(sorted({*lists, str(name)})))
    return out


class Columns:
    """Field values of a declarations frame as numpy arrays, computed once per field.

    Text columns are factorised and each distinct value is looked at once (codes, countries, party
    keys), so a one-row frame costs microseconds and a million rows a fraction of a second."""

    def __init__(self, decl: pd.DataFrame | dict[str, np.ndarray], ctx: ProfileContext):
        """`decl`: a frame, or columns as equal-length arrays (one posted item: no frame to build)."""
        self.ctx = ctx
        self._cache: dict[str, np.ndarray] = {}
        self._cols: dict[str, np.ndarray] = {}
        if isinstance(decl, pd.DataFrame):
            self.n, self._frame = len(decl), decl
        else:
            self.n, self._frame = len(next(iter(decl.values()), ())), None
            self._cols = {k: _objects(v) for k, v in decl.items()}

    def get(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def has(self, col: str) -> bool:
        return col in self._cols or (self._frame is not None and col in self._frame)

    def raw(self, col: str) -> np.ndarray:
        if col not in self._cols:
            self._cols[col] = self._frame[col].to_numpy(dtype=object) if self.has(col) \
                else np.full(self.n, None, dtype=object)
        return self._cols[col]

    def _map(self, col: str, fn, dtype=object, absent=None) -> np.ndarray:
        """fn over the distinct present values of a column; `absent` where the value is missing."""
        raw = self.raw(col)
        if self.n <= SMALL:  # a posted item: factorising costs more than looking
            out = np.empty(self.n, dtype=dtype)
            for i, v in enumerate(raw):  # one by one: a tuple must not be spread over the array
                out[i] = absent if missing(v) else fn(v)
            return out
        idx, uniq = pd.factorize(raw, use_na_sentinel=True)
        vals = [fn(u) for u in uniq]
        table = np.empty(len(vals) + 1, dtype=dtype)
        table[: len(vals)] = vals
        table[-1] = absent
        return table[idx]

    def _num(self, col: str) -> np.ndarray:
        if not self.has(col):
            return np.full(self.n, np.nan)
        return pd.to_numeric(pd.Series(self.raw(col)), errors="coerce").to_numpy(dtype=float)

    def _compute(self, name: str) -> np.ndarray:
        direct = {"origin": "origin_country", "dispatch": "dispatch_country", "border_post": "border_post",
                  "mode": "transport_mode", **{r: r for r in ROLES}}
        if name in direct:
            return self._map(direct[name], lambda v: str(v) if str(v) != "" else None)
        if name == "hs":
            return self._map("hs_code", lambda v: "".join(ch for ch in str(v) if ch.isdigit()) or None)
        if name == "third_country":
            o, d = self.get("origin"), self.get("dispatch")
            return (o != None) & (d != None) & (o != d)  # noqa: E711 (elementwise over the arrays)
        if name == "transit":
            return self._map("transit_countries", _countries, absent=())
        if name in ("value", "duty_rate"):
            return self._num("customs_value" if name == "value" else "duty_rate")
        if name == "mass":  # goods.mass_kg: net mass, else gross; non-positive is missing
            net, gross = self._num("net_mass_kg"), self._num("gross_mass_kg")
            m = np.where(net > 0, net, gross)
            return np.where(m > 0, m, np.nan)
        if name == "uv":  # goods.log_unit_value, unlogged
            v = self.get("value")
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(v > 0, v, np.nan) / self.get("mass")
        if name == "uv_ratio":
            return self._uv_ratio()
        if name == "trader.category":  # the liable party: consignee, else declarant
            cons, decl = self.get("consignee.category"), self.get("declarant.category")
            has_cons = np.array([not missing(v) for v in self.raw("consignee")], dtype=bool)
            return np.where(has_cons, cons, decl)
        role, _, attr = name.partition(".")
        return self._party(role, attr)

    def _uv_ratio(self) -> np.ndarray:
        """Value per kg over the usual value per kg of the item's HS6 (else HS4, else chapter)."""
        lk = self.ctx.lookups
        levels = [(lv, lk[f"norm{lv}"]) for lv in (6, 4, 2) if f"norm{lv}" in lk]

        def median(code: Any) -> float:
            digits = "".join(ch for ch in str(code) if ch.isdigit())
            for lv, table in levels:
                if len(digits) >= lv and digits[:lv] in table:
                    return float(table[digits[:lv]])
            return np.nan

        med = self._map("hs_code", median, dtype=float, absent=np.nan)
        with np.errstate(invalid="ignore", over="ignore"):
            return np.exp(np.log(self.get("uv")) - med)  # as goods.robust_z: the gap of the logs

    def _party(self, role: str, attr: str) -> np.ndarray:
        if role == "party":
            raise AssertionError("party.* is expanded over the roles by the evaluator")
        lk = self.ctx.lookups
        if attr in ("risk", "offender_hops"):
            table = lk[attr]
            return self._map(role, lambda k: float(table.get(k, np.nan)), dtype=float, absent=np.nan)
        if attr == "group":
            return self._map(role, lambda k: lk["group"].get(k))
        if attr == "category":
            return self._map(role, lambda k: lk["category"].get(k))
        if attr == "in_group":
            return self._map(role, lambda k: k in lk["group"], dtype=bool, absent=False)
        if attr == "phoenix":
            return self._map(role, lambda k: k in self.ctx.phoenix, dtype=bool, absent=False)
        if attr in ("age_days", "new"):
            nat = np.datetime64("NaT", "ns")
            reg = self._map(role, lambda k: lk["registered_on"].get(k, nat), dtype="datetime64[ns]",
                            absent=nat)
            date = pd.to_datetime(pd.Series(self.raw("date")), errors="coerce") \
                .to_numpy(dtype="datetime64[ns]")
            age = (date - reg) / np.timedelta64(1, "D")
            age = np.floor(age.astype(float))
            return age if attr == "age_days" else (age < NEW_TRADER_DAYS)
        if attr in ("on_watchlist", "watchlist_hit", "watchlists"):
            wl = self.ctx.watchlist
            if attr == "on_watchlist":
                return self._map(role, lambda k: k in wl, dtype=bool, absent=False)
            if attr == "watchlist_hit":  # a party without a hit is 0, an item without the role missing
                return self._map(role, lambda k: wl[k][0] if k in wl else 0.0, dtype=float, absent=np.nan)
            return self._map(role, lambda k: wl[k][1] if k in wl else (), absent=())
        raise AssertionError(f"unknown party attribute {attr}")


def _objects(values) -> np.ndarray:
    """A 1-d object array of the values, one by one (a list value such as transit countries stays
    one cell)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _countries(v: Any) -> tuple[str, ...]:
    if isinstance(v, list | tuple | np.ndarray):
        return tuple(str(x).strip().upper() for x in v if str(x).strip())
    return tuple(x.strip().upper() for x in str(v).replace(",", ";").split(";") if x.strip())


# --------------------------------------------------------------------------- evaluation

def cond_mask(t: Cond, cols: Columns) -> np.ndarray:
    role, dot, attr = t.field.partition(".")
    if dot and role == "party":  # any of the item's parties
        out = np.zeros(cols.n, dtype=bool)
        for r in ROLES:
            out |= cond_mask(replace(t, field=f"{r}.{attr}"), cols)
        return out
    x = cols.get(t.field)
    ftype = field_type(t.field)
    if t.op == "is":
        return x.astype(bool)
    if ftype == "list":
        wanted = set(t.value) if isinstance(t.value, tuple) else {t.value}
        return np.fromiter((bool(wanted.intersection(v)) for v in x), dtype=bool, count=cols.n)
    if ftype == "num":
        v = float(cast(float, t.value))  # the parser admits a number only (_Parser._check)
        with np.errstate(invalid="ignore"):
            res = {"=": x == v, "!=": x != v, "<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[t.op]
        return res & ~np.isnan(x)
    if ftype == "bool":
        xb = x.astype(bool)
        return xb == t.value if t.op == "=" else xb != t.value
    present = x != None  # noqa: E711 (elementwise over the array)
    if t.op == "^=":
        prefixes = t.value if isinstance(t.value, tuple) else (t.value,)
        return present & np.fromiter((v is not None and v.startswith(prefixes) for v in x), dtype=bool,
                                     count=cols.n)
    if t.op in ("in", "not in"):
        hit = np.isin(x, np.asarray(t.value, dtype=object))
        return present & (hit if t.op == "in" else ~hit)
    return present & (x == t.value if t.op == "=" else x != t.value)


def eval_tree(node: Node, cols: Columns) -> np.ndarray:
    if isinstance(node, Cond):
        return cond_mask(node, cols)
    if isinstance(node, Not):
        return ~eval_tree(node.arg, cols)
    parts = [eval_tree(a, cols) for a in node.args]
    return np.logical_and.reduce(parts) if isinstance(node, And) else np.logical_or.reduce(parts)
