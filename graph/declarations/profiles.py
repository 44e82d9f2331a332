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
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from graph.declarations import goods
from graph.declarations.profile_criteria import (
    ROLES,
    And,
    Node,
    Not,
    ParseError,
    Test,
    field_type,
    parse,
    tests_of,
)
from graph.domain.reasons import Evidence, Reason

LANES = ("green", "blue", "yellow", "red")  # strictest last
LANE_RANK = {lane: i for i, lane in enumerate(LANES)}
NEW_TRADER_DAYS = 365
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


class _Columns:
    """Field values of a declarations frame as numpy arrays, computed once per field."""

    def __init__(self, decl: pd.DataFrame, ctx: ProfileContext):
        self.d, self.ctx, self.n, self._cache = decl, ctx, len(decl), {}

    def col(self, name: str) -> pd.Series:
        if name in self.d:
            return self.d[name].reset_index(drop=True)
        return pd.Series([None] * self.n, dtype=object)

    def get(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def _str(self, s: pd.Series) -> np.ndarray:
        return s.astype(object).where(s.notna(), None).map(lambda v: None if v in (None, "") else str(v)).to_numpy()

    def _num(self, s: pd.Series) -> np.ndarray:
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)

    def _compute(self, name: str) -> np.ndarray:
        direct = {"origin": "origin_country", "dispatch": "dispatch_country", "border_post": "border_post",
                  "mode": "transport_mode", **{r: r for r in ROLES}}
        if name in direct:
            return self._str(self.col(direct[name]))
        if name == "hs":
            return self._str(self.col("hs_code").astype(object).map(
                lambda v: None if _missing(v) else "".join(ch for ch in str(v) if ch.isdigit())))
        if name == "third_country":
            o, d = self.get("origin"), self.get("dispatch")
            return np.array([a is not None and b is not None and a != b for a, b in zip(o, d)], dtype=bool)
        if name == "transit":
            return self.col("transit_countries").map(_countries).to_numpy()
        if name in ("value", "duty_rate"):
            return self._num(self.col("customs_value" if name == "value" else "duty_rate"))
        frame = self.d.reset_index(drop=True)
        if name == "mass":
            return goods.mass_kg(frame).to_numpy(dtype=float) if len(frame) else np.zeros(0)
        if name == "uv":
            return np.exp(self._luv(frame))
        if name == "uv_ratio":
            return self._uv_ratio(frame)
        role, _, attr = name.partition(".")
        return self._party(role, attr)

    def _luv(self, frame: pd.DataFrame) -> np.ndarray:
        if not len(frame) or "customs_value" not in frame:
            return np.full(self.n, np.nan)
        return goods.log_unit_value(frame).to_numpy(dtype=float)

    def _uv_ratio(self, frame: pd.DataFrame) -> np.ndarray:
        luv = self._luv(frame)
        med = np.full(self.n, np.nan)
        for level in (6, 4, 2):
            norms = self.ctx.norms.get(level)
            if norms is None or norms.empty or not self.n:
                continue
            hs = goods.hs_prefix(self.col("hs_code"), level)
            todo = np.isnan(med)
            med[todo] = hs[todo].map(norms["median"]).astype(float).to_numpy()
        with np.errstate(invalid="ignore", over="ignore"):
            return np.exp(luv - med)

    def _party(self, role: str, attr: str) -> np.ndarray:
        if role == "party":
            raise AssertionError("party.* is expanded over the roles by the evaluator")
        keys = self.col(role).astype(object)
        ctx = self.ctx
        if attr == "risk":
            return keys.map(ctx.party_risk).astype(float).to_numpy() if len(ctx.party_risk) else np.full(self.n, np.nan)
        if attr in ("group", "in_group"):
            g = keys.map(ctx.party_group) if len(ctx.party_group) else pd.Series([None] * self.n, dtype=object)
            g = g.astype(object).where(g.notna(), None)
            return g.notna().to_numpy() if attr == "in_group" else g.to_numpy()
        if attr == "phoenix":
            return keys.isin(ctx.phoenix).to_numpy()
        if attr in ("age_days", "new"):
            reg = pd.to_datetime(keys.map(ctx.registered_on), errors="coerce") if len(ctx.registered_on) \
                else pd.Series(pd.NaT, index=range(self.n))
            date = pd.to_datetime(self.col("date"), errors="coerce")
            age = (date - reg).dt.days.astype(float).to_numpy()
            return age if attr == "age_days" else (age < NEW_TRADER_DAYS)
        if attr == "offender_hops":
            if ctx.offender_hops is None:
                return np.full(self.n, np.nan)
            return keys.map(ctx.offender_hops).astype(float).to_numpy()
        raise AssertionError(f"unknown party attribute {attr}")


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _countries(v: Any) -> tuple[str, ...]:
    if _missing(v):
        return ()
    if isinstance(v, list | tuple | np.ndarray):
        return tuple(str(x).strip().upper() for x in v if str(x).strip())
    return tuple(x.strip().upper() for x in str(v).replace(",", ";").split(";") if x.strip())


# --------------------------------------------------------------------------- evaluation

def _test(t: Test, cols: _Columns) -> np.ndarray:
    role, dot, attr = t.field.partition(".")
    if dot and role == "party":  # any of the item's parties
        out = np.zeros(cols.n, dtype=bool)
        for r in ROLES:
            out |= _test(replace(t, field=f"{r}.{attr}"), cols)
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
    s = pd.Series(x, dtype=object)
    present = s.notna().to_numpy()
    if t.op == "^=":
        prefixes = t.value if isinstance(t.value, tuple) else (t.value,)
        return present & s.map(lambda v: v is not None and str(v).startswith(prefixes)).to_numpy(dtype=bool)
    if t.op in ("in", "not in"):
        hit = s.isin(list(t.value)).to_numpy()
        return present & (hit if t.op == "in" else ~hit)
    return present & ((s == t.value).to_numpy(dtype=bool) if t.op == "=" else (s != t.value).to_numpy(dtype=bool))


def _eval(node: Node, cols: _Columns) -> np.ndarray:
    if isinstance(node, Test):
        return _test(node, cols)
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


def _reason(p: Profile, cols: _Columns, i: int, key: str | None) -> Reason:
    seen = []
    for t in tests_of(p.tree or parse(p.criteria)):
        role, dot, attr = t.field.partition(".")
        names = [f"{r}.{attr}" for r in ROLES] if dot and role == "party" else [t.field]
        vals = [f"{n}={_shown(cols.get(n)[i])}" for n in names
                if not (isinstance(cols.get(n)[i], float) and math.isnan(cols.get(n)[i]))
                and cols.get(n)[i] is not None]
        seen.append(", ".join(vals) if vals else f"{t.field}=missing")
    detail = f"profile {p.name} (v{p.version}, {p.action}): {p.reason} [{"; ".join(seen)}]"
    ev = (Evidence("item", key),) if key else ()
    return Reason(feature=f"profile:{p.id}", detail=detail, value=p.action, contribution=None,
                  evidence=(Evidence("profile", f"{p.id}@{p.version}", p.name), *ev))


def apply_profiles(decl: pd.DataFrame, context: ProfileContext | None, profiles: list[Profile],
                   model_lanes: pd.Series | list | np.ndarray | None = None, *,
                   on: dt.date | None = None) -> Applied:
    """Evaluate the profiles live on `on` over `decl` beside the model's lanes.

    `decl`: rows in the frames' declarations shape (key, date, hs_code, customs_value, masses,
    countries, transit_countries, border_post, transport_mode, party keys per role); `model_lanes`:
    one lane per row (green/yellow/red; None or missing = green). Returns the combined lanes
    (index of `decl`), one `Reason` per fired profile per row, and the fired profile ids.
    """
    n = len(decl)
    base = pd.Series(["green"] * n if model_lanes is None else list(model_lanes), index=decl.index, dtype=object)
    base = base.where(base.isin(LANES), "green")
    rank = base.map(LANE_RANK).to_numpy(dtype=int)
    cols = _Columns(decl, context or ProfileContext())
    reasons: list[list[Reason]] = [[] for _ in range(n)]
    fired: list[list[str]] = [[] for _ in range(n)]
    keys = cols.col("key").to_numpy()
    for p in active_profiles(profiles, on):
        hit = _eval(p.tree or parse(p.criteria), cols)
        if not hit.any():
            continue
        rank = np.where(hit, np.maximum(rank, LANE_RANK[p.action]), rank)
        for i in np.flatnonzero(hit):
            key = keys[i]
            reasons[i].append(_reason(p, cols, int(i), None if _missing(key) else str(key)))
            fired[i].append(p.id)
    lanes = pd.Series(np.asarray(LANES, dtype=object)[rank], index=decl.index, dtype=object)
    return Applied(lanes, reasons, fired)


def apply_to_item(row: dict[str, Any], context: ProfileContext | None, profiles: list[Profile],
                  model_lane: str | None = None, *, on: dt.date | None = None) -> tuple[str, list[Reason]]:
    """One posted item (frames' column names): a one-row frame through `apply_profiles`."""
    frame = pd.DataFrame([row])
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    out = apply_profiles(frame, context, profiles, [model_lane], on=on)
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
