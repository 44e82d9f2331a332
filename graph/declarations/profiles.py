"""Risk profiles as data: validated profiles, evaluated as masks over the declarations frame.

A profile (WCO risk management, ASYCUDA selectivity) is criteria in the language of
`graph.declarations.profile_criteria`, an action, a validity period, an owner, a reason in plain
words and an expected rate. `apply_profiles` is the one entry point for both the batch scoring run
and `POST /assess`: the single item is a batch of one row through the same code, so the two cannot
disagree.

Lanes, strictest first: red > yellow > blue > green. Blue (ASYCUDA: release now, post-clearance
audit later) sits above green and below the inspection lanes: a blue profile lifts a green item to
blue, and never lowers an item the model or another profile sent to yellow or red (a physical check
now is stronger than an audit later; the blue profile's reason is still on the item, so the audit
plan can pick it up). A green profile never lowers anything.

Field values and masks: `graph.declarations.profile_fields` (a condition on a missing value is false).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from graph.declarations.profile_criteria import ROLES, Node, ParseError, conditions, parse
from graph.declarations.profile_fields import Columns, ProfileContext, cond_mask, eval_tree, missing
from graph.domain.reasons import Evidence, Reason

LANES = ("green", "blue", "yellow", "red")  # strictest last
LANE_RANK = {lane: i for i, lane in enumerate(LANES)}
STORE_FIELDS = frozenset({"version", "retired", "created_by", "created_at"})  # written by the store
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
    version = data.get("version") or 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProfileError(pid, "version", f"{version!r} is not a version number (1, 2, ...)")
    criteria = data["criteria"].strip()
    try:
        tree = parse(criteria)
    except ParseError as e:
        raise ProfileError(pid, "criteria", e.reason, criterion=criteria, pos=e.pos) from None
    return Profile(id=pid, name=data["name"].strip(), criteria=criteria, action=action,
                   reason=data["reason"].strip(), owner=str(data.get("owner") or "")[:200],
                   version=version, valid_from=vf, valid_to=vt,
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
            stored = sorted(STORE_FIELDS & set(t))
            if stored:
                raise ProfileError(str(t.get("id") or "?"), stored[0],
                                   "is set by the store when the profile is loaded, not by the file")
            p = make_profile(t)
        except ProfileError as e:
            raise ProfileError(e.profile, e.field, e.message, criterion=e.criterion, pos=e.pos,
                               source=f"{source}, profile #{i}") from None
        if p.id in seen:
            raise ProfileError(p.id, "id", "the id appears twice in the file",
                               source=f"{source}, profile #{i}")
        seen.add(p.id)
        out.append(p)
    return out


def evaluate(profile: Profile, decl: pd.DataFrame, context: ProfileContext | None = None) -> np.ndarray:
    """The items (rows of `decl`, the frames' declarations shape) the profile's criteria select."""
    cols = Columns(decl, context or ProfileContext())
    return eval_tree(profile.tree or parse(profile.criteria), cols)


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


def _value_texts(p: Profile, cols: Columns, rows: np.ndarray) -> list[str]:
    """Per selected row: the values the profile's conditions read, as `field=value` (missing ones
    skipped; for `party.*`, the roles whose own condition holds, or every role when none does)."""
    parts: list[list[str]] = [[] for _ in rows]
    for t in conditions(p.tree or parse(p.criteria)):
        role, dot, attr = t.field.partition(".")
        names = [f"{r}.{attr}" for r in ROLES] if dot and role == "party" else [t.field]
        held = {n: cond_mask(replace(t, field=n), cols)[rows] for n in names} if len(names) > 1 else None
        for j in range(len(rows)):
            chosen = [n for n in names if held is None or held[n][j]] or names
            vals = [f"{n}={_shown(v)}" for n in chosen if not missing(v := cols.get(n)[rows[j]])]
            parts[j].append(", ".join(vals) if vals else f"{t.field}=missing")
    return ["; ".join(x) for x in parts]


def apply_profiles(decl: pd.DataFrame | dict[str, Any], context: ProfileContext | None,
                   profiles: list[Profile], model_lanes: pd.Series | list | np.ndarray | None = None, *,
                   on: dt.date | None = None) -> Applied:
    """Evaluate the profiles live on `on` over `decl` beside the model's lanes.

    `decl`: rows in the frames' declarations shape (key, date, hs_code, customs_value, masses,
    countries, transit_countries, border_post, transport_mode, party keys per role); `model_lanes`:
    one lane per row (green/yellow/red; None or missing = green). Returns the combined lanes
    (index of `decl`), one `Reason` per fired profile per row, and the fired profile ids.
    """
    cols = Columns(decl, context or ProfileContext())
    n = cols.n
    given = [None] * n if model_lanes is None else list(model_lanes)
    rank = np.fromiter((LANE_RANK.get(x, 0) if isinstance(x, str) else 0 for x in given), dtype=int, count=n)
    reasons: list[list[Reason]] = [[] for _ in range(n)]
    fired: list[list[str]] = [[] for _ in range(n)]
    keys = cols.raw("key")
    for p in active_profiles(profiles, on):
        hit = eval_tree(p.tree or parse(p.criteria), cols)
        if not hit.any():
            continue
        rank = np.where(hit, np.maximum(rank, LANE_RANK[p.action]), rank)
        rows = np.flatnonzero(hit)
        head = f"profile {p.name} (v{p.version}, {p.action}): {p.reason} ["
        ev = Evidence("profile", f"{p.id}@{p.version}", p.name)
        for i, text in zip(rows, _value_texts(p, cols, rows), strict=True):
            key = keys[i]
            items = () if missing(key) else (Evidence("item", str(key)),)
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
            "reason": f"{int(r.count)} offences by {int(r.parties)} offender(s) declared HS {declared} "
                      f"and found HS {actual}; FATF–Egmont indicator: goods misrepresented under a "
                      f"lower-duty code, priced like the goods found rather than the goods declared."}))
    return out
