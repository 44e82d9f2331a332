"""API keys and roles: who may read what.

Keys are high-entropy random strings (`tmg_<prefix>_<secret>`, 190+ bits); the store keeps only
their SHA-256 (a slow password hash adds nothing for random keys and would cost milliseconds per
request), with the owner, role, scopes and expiry, as `ApiKey` nodes. The prefix names a key in
listings and revocation without revealing it. Verified keys are cached for a few seconds so the
risk lookup stays under 2 ms; revocation through the API clears the cache at once.

The bootstrap admin key (a setting) is one-time: it is valid only while the setting is present,
for `bootstrap_key_hours` at most, and only until the first real admin key exists; creating an
admin key revokes it (`bootstrap`, `create_key`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.store import GraphStore

SCOPES: dict[str, str] = {
    "entity:read": "search entities, read entity cards, risk, groups, alerts, lanes",
    "graph:read": "read subgraphs (JSON and the visual page)",
    "assess": "assess a declaration against the stored network",
    "ingest:write": "write declarations (assessment with store=true), start ingest jobs, read ingest runs",
    "decide": "record decisions and inspection results",
    "audit:read": "read the audit trail",
    "export:read": "download exports",
    "keys:admin": "create, list and revoke API keys",
    "profiles:write": "create, change and retire risk profiles (reading them needs entity:read)",
    "cases:read": "read the triage queue: cases, their alerts, notes and decisions, team figures",
    "cases:write": "take a case, add notes, confirm or dismiss it",
    "score:run": "start scoring runs and follow them (jobs)",
    "watchlists:write": "load new versions of sanctions lists and watchlists",
    "screening:run": "screen a party against the lists on demand",
}

ROLES: dict[str, tuple[str, ...]] = {
    "investigator": ("entity:read", "graph:read", "assess", "decide", "export:read", "cases:read",
                     "cases:write", "screening:run"),
    "auditor": ("entity:read", "graph:read", "audit:read", "export:read", "cases:read"),
    "system": ("entity:read", "assess", "ingest:write", "score:run", "watchlists:write", "screening:run"),
    # risk analysts write the selectivity rules and review how they work (risk areas, effectiveness,
    # lanes, alert lists, exports); no cases:write or decide: whoever writes a rule does not also
    # confirm the cases and record the inspections its figures are judged by
    "analyst": ("entity:read", "graph:read", "assess", "profiles:write", "export:read", "cases:read"),
    "admin": tuple(SCOPES),
}

KEY_PREFIX = "tmg"
CACHE_TTL_S = 5.0


@dataclass(frozen=True)
class Principal:
    """The caller a verified key stands for."""

    owner: str
    role: str
    prefix: str
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    return datetime.fromisoformat(ts)


def scopes_for(role: str, scopes: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The scopes of a role, or an explicit subset of them (a key never exceeds its role)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if scopes is None:
        return list(ROLES[role])
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scopes {unknown}: choose from {', '.join(SCOPES)}")
    beyond = [s for s in scopes if s not in ROLES[role]]
    if beyond:
        raise ValueError(f"scopes {beyond} exceed the role {role!r}")
    return sorted(set(scopes))


def _store_key(store: GraphStore, key: str, owner: str, role: str, scopes: list[str],
               expires_at: datetime) -> None:
    store.run("api.key_create", prefix=key.split("_")[1], key_hash=hash_key(key), owner=owner, role=role,
              scopes=json.dumps(scopes), created_at=_iso(_now()), expires_at=_iso(expires_at))


def create_key(store: GraphStore, owner: str, role: str, *, expires_days: int = 90,
               scopes: list[str] | None = None) -> str:
    """Create an API key for `owner` with `role`; return the plaintext key (shown once, stored hashed)."""
    owner = (owner or "").strip()
    if not owner:
        raise ValueError("a key needs an owner")
    if not 1 <= expires_days <= 3660:
        raise ValueError("expires_days must be between 1 and 3660")
    chosen = scopes_for(role, scopes)
    key = f"{KEY_PREFIX}_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    _store_key(store, key, owner, role, chosen, _now() + timedelta(days=expires_days))
    if role == "admin":
        _revoke_bootstrap(store)
    return key


def _revoke_bootstrap(store: GraphStore) -> int:
    n = store.run("api.keys_revoke_bootstrap", at=_iso(_now()))[0]["n"]
    if n:
        _CACHE.clear()
    return n


def ensure_key(store: GraphStore, key: str, owner: str, role: str, *,
               expires_hours: int = 24) -> datetime | None:
    """Register a given key (the bootstrap admin key) if it was never stored; its expiry, or None
    when it was stored before (then it keeps its state: a revoked bootstrap key stays revoked)."""
    if store.run("api.key_by_hash", key_hash=hash_key(key)):
        return None
    if len(key) < 16:
        raise ValueError("the bootstrap admin key must be at least 16 characters")
    prefix = "boot" + hash_key(key)[:8]
    expires = _now() + timedelta(hours=expires_hours)
    store.run("api.key_create", prefix=prefix, key_hash=hash_key(key), owner=owner, role=role,
              scopes=json.dumps(scopes_for(role)), created_at=_iso(_now()), expires_at=_iso(expires))
    return expires


def bootstrap(store: GraphStore, settings) -> str:
    """Apply the one-time rule for the bootstrap admin key at start-up; return what to tell the operator
    (never the key)."""
    given = settings.bootstrap_admin_key
    if given is None:
        n = _revoke_bootstrap(store)
        return ("no bootstrap admin key set" + (f"; revoked {n} bootstrap key(s) left from an earlier start"
                                                 if n else ""))
    if store.run("api.admin_keys_active", now=_iso(_now()))[0]["n"]:
        _revoke_bootstrap(store)
        return ("bootstrap admin key refused: an admin key exists already; remove TAMGA_BOOTSTRAP_ADMIN_KEY "
                "from the settings")
    expires = ensure_key(store, given.get_secret_value(), "bootstrap-admin", "admin",
                         expires_hours=settings.bootstrap_key_hours)
    if expires is None:
        valid = verify_key(store, given.get_secret_value()) is not None
        return ("bootstrap admin key: registered at an earlier start and "
                + ("still valid until its expiry or the first admin key, whichever comes first" if valid else
                   "no longer valid (revoked or expired): it is one-time; create keys with an admin key"))
    return (f"bootstrap admin key accepted ONCE: valid until {_iso(expires)} or until the first admin key is "
            "created (POST /api/v1/keys or `tamga keys create --role admin`), whichever comes first")


def revoke_key(store: GraphStore, key_prefix: str) -> bool:
    """Revoke the active key with this prefix; False when there is none. The record stays."""
    done = bool(store.run("api.key_revoke", prefix=key_prefix, at=_iso(_now())))
    if done:
        _CACHE.clear()
    return done


def list_keys(store: GraphStore) -> list[dict[str, Any]]:
    """Every key's prefix, owner, role, scopes, dates and state; never the key or its hash."""
    now = _now()
    out = []
    for r in store.run("api.keys_list"):
        exp = _parse(r["expires_at"])
        state = "revoked" if r["revoked_at"] else ("expired" if exp and exp <= now else "active")
        out.append({**r, "scopes": json.loads(r["scopes"] or "[]"), "state": state})
    return out


class _KeyCache:
    """key hash -> (Principal or None, checked at): a short-lived cache of verifications."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, tuple[Principal | None, float]] = {}

    def get(self, h: str) -> tuple[bool, Principal | None]:
        with self._lock:
            hit = self._data.get(h)
        if hit and time.monotonic() - hit[1] < CACHE_TTL_S:
            return True, hit[0]
        return False, None

    def put(self, h: str, p: Principal | None) -> None:
        with self._lock:
            if len(self._data) > 10_000:
                self._data.clear()
            self._data[h] = (p, time.monotonic())

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_CACHE = _KeyCache()


def verify_key(store: GraphStore, key: str | None) -> Principal | None:
    """The principal for a presented key, or None (unknown, revoked or expired)."""
    if not key or len(key) > 256:
        return None
    h = hash_key(key)
    found, p = _CACHE.get(h)
    if not found:
        rows = store.run("api.key_by_hash", key_hash=h)
        p = None
        if rows:
            r = rows[0]
            exp = _parse(r["expires_at"])
            if not r["revoked_at"] and (exp is None or exp > _now()):
                p = Principal(owner=r["owner"], role=r["role"], prefix=r["prefix"],
                              scopes=frozenset(json.loads(r["scopes"] or "[]")))
        _CACHE.put(h, p)
    return p
