"""Risk profiles as data: validated profiles, evaluated as masks over the declarations frame.

A profile (WCO risk management, ASYCUDA selectivity) is criteria in the language of
`graph.declarations.profile_criteria`, an action, a validity period, an owner, a reason in plain
words and an expected rate. `apply_profiles` is the one entry point for both the batch scoring run
and `POST /assess`: the single item is a one-row frame through the same code, so the two cannot
disagree.

Lanes, strictest first: red > yellow > blue > green. Blue (ASYCUDA: release now, post-clearance
audit later) sits above green and below the inspection lanes: a blue profile lifts a green item to
blue, and never lowers an item the model or another profile sent to yellow or red (a physical check
now is stronger than an audit later; the blue profile's reason is still on the item, so the audit
plan can pick it up). A green profile never lowers anything.

Missing values: a test on a missing value is false (so is `!=`); `not` of it is true.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from graph.declarations.profile_criteria import (
    ROLES,
    And,
    Cond,
    Node,
    Not,
    ParseError,
    conditions,
    field_type,
    parse,
)
from graph.domain.reasons import Evidence, Reason

LANES = ("green", "blue", "yellow", "red")  # strictest last
LANE_RANK = {lane: i for i, lane in enumerate(LANES)}
NEW_TRADER_DAYS = 365
SMALL = 8  # frames up to this many rows skip factorising (same values, fewer steps)
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


class ProfileError(ValueError):
    """A profile the product refuses: names the profile, the field and, for criteria, the position."""

    def __init__(self, profile: str, field_name: str, message: str, *, criterion: str | None = None,
                 pos: int | None = None, source: str | None = None):
        self.profile, self.field, self.message = profile, field_name, message
        self.criterion, self.pos, self.source = criterion, pos, source
        where = f" at column {pos + 1} of criterion {criterion!r}" if pos is not None else ""
        head = f"{source}: " if source else ""
        super().__init__(f"{head}profile {profile!r}: {field_name}: {message}{where}")


@dataclass(frozen=True)
class Profile:
    """One version of a risk profile (what the store keeps per version, plus the parsed tree)."""

    id: str
    name: str
    criteria: str
    action: str  # red, yellow, green or blue
    reason: str
    owner: str = ""
    version: int = 1
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None  # last day it applies (inclusive)
    expected_rate: float | None = None  # expected share of items it selects (0..1)
    retired: bool = False
    created_by: str | None = None
    created_at: str | None = None
    tree: Node | None = field(default=None, compare=False, repr=False)

    def active(self, on: dt.date) -> bool:
        """Live on `on`: not retired, within its validity period."""
        return not self.retired and (self.valid_from is None or self.valid_from <= on) and \
            (self.valid_to is None or on <= self.valid_to)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "name": self.name, "criteria": self.criteria,
                "action": self.action, "reason": self.reason, "owner": self.owner,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "expected_rate": self.expected_rate, "retired": self.retired,
                "created_by": self.created_by, "created_at": self.created_at}


def _date(pid: str, name: str, v: Any) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise ProfileError(pid, name, f"{v!r} is not a date (YYYY-MM-DD)") from None


def make_profile(data: dict[str, Any]) -> Profile:
    """A validated profile from a mapping (a TOML table, an API body, a stored node): every field
    checked, the criteria parsed; `ProfileError` naming the profile and the field otherwise."""
    pid = str(data.get("id") or "").strip()
    if not pid or len(pid) > 100 or not set(pid) <= _ID_CHARS:
        raise ProfileError(pid or "?", "id", "needs an id of letters, digits, '_', '.' or '-' (at most 100)")
    known = {"id", "name", "criteria", "action", "reason", "owner", "version", "valid_from", "valid_to",
             "expected_rate", "retired", "created_by", "created_at"}
    extra = sorted(set(data) - known)
    if extra:
        raise ProfileError(pid, extra[0], f"unknown field (fields: {', '.join(sorted(known))})")
    for name in ("name", "criteria", "reason"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise ProfileError(pid, name, "is required (text)")
    action = data.get("action")
    if action not in LANES:
        raise ProfileError(pid, "action", f"{action!r} is not one of {', '.join(reversed(LANES))}")
    rate = data.get("expected_rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)
                             or not 0 <= float(rate) <= 1 or math.isnan(float(rate))):
        raise ProfileError(pid, "expected_rate", f"{rate!r} is not a share between 0 and 1")
    vf, vt = _date(pid, "valid_from", data.get("valid_from")), _date(pid, "valid_to", data.get("valid_to"))
    if vf and vt and vt < vf:
        raise ProfileError(pid, "valid_to", f"{vt} is before valid_from {vf}")
    criteria = data["criteria"].strip()
    try:
        tree = parse(criteria)
    except ParseError as e:
        raise ProfileError(pid, "criteria", e.reason, criterion=criteria, pos=e.pos) from None
    return Profile(id=pid, name=data["name"].strip(), criteria=criteria, action=action,
                   reason=data["reason"].strip(), owner=str(data.get("owner") or ""),
                   version=int(data.get("version") or 1), valid_from=vf, valid_to=vt,
                   expected_rate=None if rate is None else float(rate), retired=bool(data.get("retired")),
                   created_by=data.get("created_by"), created_at=data.get("created_at"), tree=tree)


def profiles_from_toml(text: str, source: str = "<profiles>") -> list[Profile]:
    """Profiles from a TOML file of `[[profile]]` tables; one bad profile refuses the whole file
    (`ProfileError` naming the file, the profile and the field) so a file loads all or nothing."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError("?", "file", f"not valid TOML: {e}", source=source) from None
    tables = data.get("profile")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ProfileError("?", "file", "no [[profile]] tables", source=source)
    out, seen = [], set()
    for i, t in enumerate(tables, 1):
        try:
            p = make_profile(t)
        except ProfileError as e:
            raise ProfileError(e.profile, e.field, e.message, criterion=e.criterion, pos=e.pos,
                               source=f"{source}, profile #{i}") from None
        if p.id in seen:
            raise ProfileError(p.id, "id", "the id appears twice in the file", source=f"{source}, profile #{i}")
        seen.add(p.id)
        out.append(p)
    return out


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
    norms: dict[int, pd.DataFrame] = field(default_factory=dict)

    @cached_property
    def lookups(self) -> dict[str, dict]:
        """The tables as dicts (one hash lookup per distinct party or code, for one row or a million)."""
        def d(s: pd.Series | None) -> dict:
            return {} if s is None else {k: v for k, v in s.items() if not _missing(v)}
        reg = {k: np.datetime64(pd.Timestamp(v), "ns") for k, v in d(self.registered_on).items() if not pd.isna(v)}
        return {"risk": d(self.party_risk), "group": d(self.party_group), "registered_on": reg,
                "offender_hops": d(self.offender_hops),
                **{f"norm{lv}": d(f["median"]) for lv, f in self.norms.items() if f is not None and len(f)}}


class _Columns:
    """Field values of a declarations frame as numpy arrays, computed once per field.

    Text columns are factorised and each distinct value is looked at once (codes, countries, party
    keys), so a one-row frame costs microseconds and a million rows a fraction of a second."""

    def __init__(self, decl: pd.DataFrame | dict[str, np.ndarray], ctx: ProfileContext):
        """`decl`: a frame, or columns as equal-length arrays (one posted item: no frame to build)."""
        self.ctx, self._cache, self._cols = ctx, {}, {}
        if isinstance(decl, pd.DataFrame):
            self.n, self._frame = len(decl), decl
        else:
            self.n, self._frame = len(next(iter(decl.values()), ())), None
            self._cols = {k: np.asarray(v, dtype=object) for k, v in decl.items()}

    def get(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def has(self, col: str) -> bool:
        return col in self._cols or (self._frame is not None and col in self._frame)

    def _raw(self, col: str) -> np.ndarray:
        if col not in self._cols:
            self._cols[col] = self._frame[col].to_numpy(dtype=object) if self.has(col) \
                else np.full(self.n, None, dtype=object)
        return self._cols[col]

    def _map(self, col: str, fn, dtype=object, missing=None) -> np.ndarray:
        """fn over the distinct present values of a column; `missing` where the value is missing."""
        raw = self._raw(col)
        if self.n <= SMALL:  # a posted item: factorising costs more than looking
            out = np.empty(self.n, dtype=dtype)
            for i, v in enumerate(raw):  # one by one: a tuple must not be spread over the array
                out[i] = missing if _missing(v) else fn(v)
            return out
        idx, uniq = pd.factorize(raw, use_na_sentinel=True)
        vals = [fn(u) for u in uniq]
        table = np.empty(len(vals) + 1, dtype=dtype)
        table[: len(vals)] = vals
        table[-1] = missing
        return table[idx]

    def _num(self, col: str) -> np.ndarray:
        if not self.has(col):
            return np.full(self.n, np.nan)
        return pd.to_numeric(pd.Series(self._raw(col)), errors="coerce").to_numpy(dtype=float)

    def _compute(self, name: str) -> np.ndarray:
        direct = {"origin": "origin_country", "dispatch": "dispatch_country", "border_post": "border_post",
                  "mode": "transport_mode", **{r: r for r in ROLES}}
        if name in direct:
            return self._map(direct[name], lambda v: str(v) if str(v) != "" else None)
        if name == "hs":
            return self._map("hs_code", lambda v: "".join(ch for ch in str(v) if ch.isdigit()) or None)
        if name == "third_country":
            o, d = self.get("origin"), self.get("dispatch")
            return (o != None) & (d != None) & (o != d)
        if name == "transit":
            return self._map("transit_countries", _countries, missing=())
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

        med = self._map("hs_code", median, dtype=float, missing=np.nan)
        with np.errstate(invalid="ignore", over="ignore"):
            return np.exp(np.log(self.get("uv")) - med)  # as goods.robust_z: the gap of the logs

    def _party(self, role: str, attr: str) -> np.ndarray:
        if role == "party":
            raise AssertionError("party.* is expanded over the roles by the evaluator")
        lk = self.ctx.lookups
        if attr in ("risk", "offender_hops"):
            table = lk[attr]
            return self._map(role, lambda k: float(table.get(k, np.nan)), dtype=float, missing=np.nan)
        if attr == "group":
            return self._map(role, lambda k: lk["group"].get(k))
        if attr == "in_group":
            return self._map(role, lambda k: k in lk["group"], dtype=bool, missing=False)
        if attr == "phoenix":
            return self._map(role, lambda k: k in self.ctx.phoenix, dtype=bool, missing=False)
        if attr in ("age_days", "new"):
            nat = np.datetime64("NaT", "ns")
            reg = self._map(role, lambda k: lk["registered_on"].get(k, nat), dtype="datetime64[ns]", missing=nat)
            date = pd.to_datetime(pd.Series(self._raw("date")), errors="coerce").to_numpy(dtype="datetime64[ns]")
            age = (date - reg) / np.timedelta64(1, "D")
            age = np.floor(age.astype(float))
            return age if attr == "age_days" else (age < NEW_TRADER_DAYS)
        raise AssertionError(f"unknown party attribute {attr}")


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _countries(v: Any) -> tuple[str, ...]:
    if isinstance(v, list | tuple | np.ndarray):
        return tuple(str(x).strip().upper() for x in v if str(x).strip())
    return tuple(x.strip().upper() for x in str(v).replace(",", ";").split(";") if x.strip())


# --------------------------------------------------------------------------- evaluation

def _cond(t: Cond, cols: _Columns) -> np.ndarray:
    role, dot, attr = t.field.partition(".")
    if dot and role == "party":  # any of the item's parties
        out = np.zeros(cols.n, dtype=bool)
        for r in ROLES:
            out |= _cond(replace(t, field=f"{r}.{attr}"), cols)
        return out
    x = cols.get(t.field)
    ftype = field_type(t.field)
    if t.op == "is":
        return x.astype(bool)
    if ftype == "list":
        wanted = set(t.value) if isinstance(t.value, tuple) else {t.value}
        return np.fromiter((bool(wanted.intersection(v)) for v in x), dtype=bool, count=cols.n)
    if ftype == "num":
        v = float(t.value)
        with np.errstate(invalid="ignore"):
            res = {"=": x == v, "!=": x != v, "<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[t.op]
        return res & ~np.isnan(x)
    if ftype == "bool":
        xb = x.astype(bool)
        return xb == t.value if t.op == "=" else xb != t.value
    present = x != None
    if t.op == "^=":
        prefixes = t.value if isinstance(t.value, tuple) else (t.value,)
        return present & np.fromiter((v is not None and v.startswith(prefixes) for v in x), dtype=bool, count=cols.n)
    if t.op in ("in", "not in"):
        hit = np.isin(x, np.asarray(t.value, dtype=object))
        return present & (hit if t.op == "in" else ~hit)
    return present & (x == t.value if t.op == "=" else x != t.value)


def _eval(node: Node, cols: _Columns) -> np.ndarray:
    if isinstance(node, Cond):
        return _cond(node, cols)
    if isinstance(node, Not):
        return ~_eval(node.arg, cols)
    parts = [_eval(a, cols) for a in node.args]
    return np.logical_and.reduce(parts) if isinstance(node, And) else np.logical_or.reduce(parts)


def evaluate(profile: Profile, decl: pd.DataFrame, context: ProfileContext | None = None) -> np.ndarray:
    """The items (rows of `decl`, the frames' declarations shape) the profile's criteria select."""
    cols = _Columns(decl, context or ProfileContext())
    return _eval(profile.tree or parse(profile.criteria), cols)


def active_profiles(profiles: list[Profile], on: dt.date | None = None) -> list[Profile]:
    """The profiles live on `on` (default: today, UTC): retired and out-of-period ones dropped."""
    on = on or dt.datetime.now(dt.UTC).date()
    return [p for p in profiles if p.active(on)]


class Applied(NamedTuple):
    lanes: pd.Series  # per row: the strictest of the model's lane and the fired profiles' actions
    reasons: list[list[Reason]]  # per row: one reason per fired profile
    fired: list[list[str]]  # per row: ids of the fired profiles


def _shown(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return "missing" if math.isnan(x) else f"{x:.4g}"
    if isinstance(x, tuple):
        return ";".join(x) or "none"
    return "missing" if x is None else str(x)


def _value_texts(p: Profile, cols: _Columns, rows: np.ndarray) -> list[str]:
    """Per selected row: the values the profile's conditions read, as `field=value` (missing ones
    skipped; for `party.*`, the roles whose own condition holds, or every role when none does)."""
    parts: list[list[str]] = [[] for _ in rows]
    for t in conditions(p.tree or parse(p.criteria)):
        role, dot, attr = t.field.partition(".")
        names = [f"{r}.{attr}" for r in ROLES] if dot and role == "party" else [t.field]
        held = {n: _cond(replace(t, field=n), cols)[rows] for n in names} if len(names) > 1 else None
        for j in range(len(rows)):
            chosen = [n for n in names if held is None or held[n][j]] or names
            vals = [f"{n}={_shown(v)}" for n in chosen if not _missing(v := cols.get(n)[rows[j]])]
            parts[j].append(", ".join(vals) if vals else f"{t.field}=missing")
    return ["; ".join(x) for x in parts]


def apply_profiles(decl: pd.DataFrame | dict[str, Any], context: ProfileContext | None, profiles: list[Profile],
                   model_lanes: pd.Series | list | np.ndarray | None = None, *,
                   on: dt.date | None = None) -> Applied:
    """Evaluate the profiles live on `on` over `decl` beside the model's lanes.

    `decl`: rows in the frames' declarations shape (key, date, hs_code, customs_value, masses,
    countries, transit_countries, border_post, transport_mode, party keys per role); `model_lanes`:
    one lane per row (green/yellow/red; None or missing = green). Returns the combined lanes
    (index of `decl`), one `Reason` per fired profile per row, and the fired profile ids.
    """
    cols = _Columns(decl, context or ProfileContext())
    n = cols.n
    given = [None] * n if model_lanes is None else list(model_lanes)
    rank = np.fromiter((LANE_RANK.get(x, 0) if isinstance(x, str) else 0 for x in given), dtype=int, count=n)
    reasons: list[list[Reason]] = [[] for _ in range(n)]
    fired: list[list[str]] = [[] for _ in range(n)]
    keys = cols._raw("key")
    for p in active_profiles(profiles, on):
        hit = _eval(p.tree or parse(p.criteria), cols)
        if not hit.any():
            continue
        rank = np.where(hit, np.maximum(rank, LANE_RANK[p.action]), rank)
        rows = np.flatnonzero(hit)
        head = f"profile {p.name} (v{p.version}, {p.action}): {p.reason} ["
        ev = Evidence("profile", f"{p.id}@{p.version}", p.name)
        for i, text in zip(rows, _value_texts(p, cols, rows)):
            key = keys[i]
            items = () if _missing(key) else (Evidence("item", str(key)),)
            reasons[i].append(Reason(feature=f"profile:{p.id}", detail=head + text + "]", value=p.action,
                                     contribution=None, evidence=(ev, *items)))
            fired[i].append(p.id)
    index = decl.index if isinstance(decl, pd.DataFrame) else None
    lanes = pd.Series(np.asarray(LANES, dtype=object)[rank], index=index, dtype=object)
    return Applied(lanes, reasons, fired)


def apply_to_item(row: dict[str, Any], context: ProfileContext | None, profiles: list[Profile],
                  model_lane: str | None = None, *, on: dt.date | None = None) -> tuple[str, list[Reason]]:
    """One posted item (frames' column names): a batch of one row through `apply_profiles` (as columns
    of length one, since building a one-row DataFrame costs more than evaluating the profiles)."""
    out = apply_profiles({k: [v] for k, v in row.items()}, context, profiles, [model_lane], on=on)
    return str(out.lanes.iloc[0]), out.reasons[0]


def cover_pair_profiles(pairs: pd.DataFrame, *, min_count: int = 2, uv_ratio: float = 2.0,
                        valid_from: dt.date | None = None) -> list[Profile]:
    """Red profiles from the cover pairs learned from offences (`graph.declarations.cover.learn_cover_pairs`):
    the declared code of a pair seen `min_count`+ times, at over `uv_ratio` times its usual value per kg
    (the price of the goods it covered, not of the goods declared)."""
    out = []
    for r in pairs[pairs["count"] >= min_count].itertuples(index=False):
        declared, actual = str(r.declared_hs), str(r.actual_hs)
        out.append(make_profile({
            "id": f"cover-{declared}-{actual}", "name": f"Cover: HS {declared} hiding HS {actual}",
            "criteria": f'hs ^= "{declared}" and uv_ratio > {uv_ratio:g}', "action": "red",
            "owner": "learned cover pairs", "valid_from": valid_from,
            "reason": f"{int(r.count)} offences by {int(r.parties)} offender(s) declared HS {declared} and found "
                      f"HS {actual}; FATF–Egmont indicator: goods misrepresented under a lower-duty code, "
                      f"priced like the goods found rather than the goods declared."}))
    return out
