"""Risk profiles in the store: append-only versions (who, when, retired), read back as `Profile`s.

Shared by the API routes, `tamga profiles load`, the scoring run and `POST /assess` (here, below
the API, because the scoring run reads the live profiles too). Every create, change and retirement appends a
`RiskProfile` node `profile_id@version`; nothing is ever updated or deleted, so the history of a
profile is its versions in order, and the live profile is its latest version unless that one is
retired. Criteria are validated (`graph.declarations.profiles.make_profile`) before anything is
written.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace
from typing import Any

import pandas as pd

from graph.declarations.profile_fields import watchlist_tables
from graph.declarations.profiles import Profile, ProfileContext, apply_to_item, make_profile
from graph.domain.reasons import Reason
from graph.settings import Settings
from graph.store import GraphStore

CACHE_TTL_S = 5.0
ROLES = ("declarant", "consignee", "consignor", "carrier", "broker")
FIELDS = ("name", "criteria", "action", "reason", "owner", "valid_from", "valid_to", "expected_rate")


class ProfileConflict(ValueError):
    """A write the profile's history does not allow: `status` 404 (no such profile) or 409 (id taken,
    already retired, unchanged)."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _from_node(d: dict[str, Any]) -> Profile:
    return make_profile({"id": d["profile_id"], **{k: d.get(k) for k in (*FIELDS, "version", "retired",
                                                                         "created_by", "created_at")}})


def history(store: GraphStore, profile_id: str) -> list[Profile]:
    """All versions of one profile, oldest first (empty when there is no such profile)."""
    return [_from_node(r["profile"]) for r in store.run("profiles.versions_of", profile_id=profile_id)]


def latest(store: GraphStore) -> list[Profile]:
    """The latest version of every profile (retired ones included, marked retired), by id."""
    last: dict[str, dict] = {}
    for r in store.run("profiles.all_versions"):
        last[r["profile_id"]] = r["profile"]
    return [_from_node(d) for _, d in sorted(last.items())]


def live(store: GraphStore) -> list[Profile]:
    """What an assessment applies: the latest versions that are not retired (validity is checked
    per assessment date by `apply_profiles`)."""
    return [p for p in latest(store) if not p.retired]


class _LiveCache:
    """store -> (live profiles, read at): `POST /assess` should not re-read and re-parse the profiles
    per request. Writes through this module clear it at once; the TTL covers writes by another process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[int, tuple[list[Profile], float]] = {}

    def get(self, store: GraphStore) -> list[Profile]:
        with self._lock:
            hit = self._data.get(id(store))
        if hit and time.monotonic() - hit[1] < CACHE_TTL_S:
            return hit[0]
        profiles = live(store)
        with self._lock:
            self._data[id(store)] = (profiles, time.monotonic())
        return profiles

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_CACHE = _LiveCache()


def live_cached(store: GraphStore) -> list[Profile]:
    """`live`, read at most every few seconds (cleared by every write through this module)."""
    return _CACHE.get(store)


def _append(store: GraphStore, p: Profile, user: str) -> Profile:
    _CACHE.clear()
    rows = store.run("profiles.create_version", key=f"{p.id}@{p.version}", profile_id=p.id, version=p.version,
                     name=p.name, criteria=p.criteria, action=p.action, reason=p.reason, owner=p.owner,
                     valid_from=p.valid_from, valid_to=p.valid_to, expected_rate=p.expected_rate,
                     retired=p.retired, created_by=user, created_at=_now())
    return _from_node(rows[0]["profile"])


def save(store: GraphStore, data: dict[str, Any], user: str, *,
         must_exist: bool | None = None) -> tuple[Profile, bool]:
    """Validate `data` and append it as the profile's next version. `must_exist`: True for a change
    (the id must be known), False for a create (it must not be), None for a load (either).
    Returns the stored version and whether it is new (an unchanged profile is not appended again,
    so loading the same file twice is idempotent). `ProfileError` for a bad profile."""
    p = make_profile({k: v for k, v in data.items()
                      if k not in ("version", "retired", "created_by", "created_at")})
    versions = history(store, p.id)
    if must_exist is True and not versions:
        raise ProfileConflict(f"no risk profile {p.id!r}", 404)
    if must_exist is False and versions:
        raise ProfileConflict(f"risk profile {p.id!r} exists (version {versions[-1].version}): "
                              "change it instead")
    if versions:
        last = versions[-1]
        if not last.retired and all(getattr(last, f) == getattr(p, f) for f in FIELDS):
            return last, False
    return _append(store, replace(p, version=versions[-1].version + 1 if versions else 1), user), True


def retire(store: GraphStore, profile_id: str, user: str) -> Profile:
    """Append a retiring version (the same criteria, marked retired): the profile stops firing from
    the next assessment on, and its history stays."""
    versions = history(store, profile_id)
    if not versions:
        raise ProfileConflict(f"no risk profile {profile_id!r}", 404)
    last = versions[-1]
    if last.retired:
        raise ProfileConflict(f"risk profile {profile_id!r} is already retired (version {last.version})")
    return _append(store, replace(last, version=last.version + 1, retired=True), user)


def store_context(store: GraphStore, party_keys: list[str], norms: dict[int, pd.DataFrame] | None = None
                  ) -> ProfileContext:
    """The profile context of one posted item from the stored party properties (the values the last
    scoring run wrote), so `POST /assess` reads what the batch run computed; the watchlist criteria
    read the parties' stored screening hits as they are now (an investigator's decision counts at once)."""
    keys = [k for k in dict.fromkeys(party_keys) if k]
    rows = store.run("profiles.party_context", keys=keys) if keys else []
    risk = {r["key"]: r["risk_score"] for r in rows if r.get("risk_score") is not None}
    group = {r["key"]: r["group_id"] for r in rows if r.get("group_id")}
    reg = {r["key"]: pd.Timestamp(r["registered_on"]) for r in rows if r.get("registered_on")}
    hops = {r["key"]: r["offender_hops"] for r in rows if r.get("offender_hops") is not None}
    latest: dict[str, tuple[str, str]] = {}
    for c in store.run("risk.party_categories", keys=keys) if keys else []:
        if c["key"] not in latest or c["month"] > latest[c["key"]][0]:
            latest[c["key"]] = (c["month"], c["category"])
    hits = pd.DataFrame(store.run("profiles.party_watchlist", keys=keys) if keys else [],
                        columns=["subject", "list", "score", "state"])
    return ProfileContext(
        party_category=pd.Series({k: v[1] for k, v in latest.items()}, dtype=object),
        party_risk=pd.Series(risk, dtype=float), party_group=pd.Series(group, dtype=object),
        phoenix=frozenset(r["key"] for r in rows if r.get("phoenix_of")),
        registered_on=pd.Series(reg, dtype="datetime64[ns]"),
        offender_hops=pd.Series(hops, dtype=float), norms=dict(norms or {}),
        watchlist=watchlist_tables(hits))


def assess_item(store: GraphStore, row: dict[str, Any], model_lane: str | None,
                norms: dict[int, pd.DataFrame] | None = None, *, on: dt.date | None = None):
    """The live profiles over one posted item beside the model's lane: (lane, reasons).

    `row`: the item in the frames' column names with party keys under the role names (what
    `Assessor._keys` gives); `norms`: the valuation reference the batch used (e.g. `{6: model.norms}`)."""
    ctx = store_context(store, [row[r] for r in ROLES if isinstance(row.get(r), str)], norms)
    return apply_to_item(row, ctx, live_cached(store), model_lane, on=on)


def record_item_hits(store: GraphStore, item_key: str, fired: list[Reason],
                     settings: Settings | None = None) -> dict[str, Any]:
    """A stored posted item's profile hits (`assess_item`'s reasons), written as the scoring run writes
    them (`analytics.write_profile_hits`) and raised as its alert (`graph.pipeline.alerts`), so a
    profile that fires in `POST /assess?store=true` reaches the work queue before the next run."""
    from graph.domain.encoding import to_json
    from graph.pipeline.alerts import raise_profile_alerts
    from graph.pipeline.profile_context import strictest_action

    if not fired:
        return {"alerts": 0}
    action = strictest_action(fired)
    ids = [x.feature.removeprefix("profile:") for x in fired]
    row = {"key": item_key, "action": action, "profiles": to_json(ids),
           "reasons": to_json([x.as_dict() for x in fired])}
    store.run("analytics.write_profile_hits", rows=[row])
    return raise_profile_alerts(store, [item_key], settings)
