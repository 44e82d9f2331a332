"""API keys in a real store: hashed at rest, role scopes, expiry, revocation, listing without secrets."""

from __future__ import annotations

import json
import re

import pytest

from api import auth


def test_key_is_random_stored_hashed_and_verifies(grafeo_store):
    k1 = auth.create_key(grafeo_store, "alice", "investigator")
    k2 = auth.create_key(grafeo_store, "alice", "investigator")
    assert k1 != k2 and re.fullmatch(r"tmg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", k1)
    rows = grafeo_store.execute("MATCH (k:ApiKey) RETURN k {.*} AS k")
    assert len(rows) == 2
    for r in rows:
        assert k1 not in json.dumps(r) and k2 not in json.dumps(r)
    p = auth.verify_key(grafeo_store, k1)
    assert p.owner == "alice" and p.role == "investigator" and p.has("graph:read") and not p.has("audit:read")
    assert auth.verify_key(grafeo_store, k1[:-1] + ("A" if k1[-1] != "A" else "B")) is None
    assert auth.verify_key(grafeo_store, None) is None and auth.verify_key(grafeo_store, "x" * 1000) is None


def test_roles_map_to_scopes_and_a_key_cannot_exceed_its_role():
    assert set(auth.ROLES["admin"]) == set(auth.SCOPES)
    assert "audit:read" in auth.ROLES["auditor"] and "decide" not in auth.ROLES["auditor"]
    assert "ingest:write" in auth.ROLES["system"] and "graph:read" not in auth.ROLES["system"]
    assert auth.scopes_for("investigator", ["entity:read"]) == ["entity:read"]
    with pytest.raises(ValueError, match="exceed"):
        auth.scopes_for("system", ["audit:read"])
    with pytest.raises(ValueError, match="unknown role"):
        auth.scopes_for("root")


def test_revoked_and_expired_keys_are_refused_and_listed_as_such(grafeo_store):
    k = auth.create_key(grafeo_store, "bob", "auditor", expires_days=1)
    prefix = k.split("_")[1]
    assert auth.verify_key(grafeo_store, k) is not None
    assert auth.revoke_key(grafeo_store, prefix) is True
    assert auth.revoke_key(grafeo_store, prefix) is False  # already revoked
    assert auth.verify_key(grafeo_store, k) is None
    old = auth.create_key(grafeo_store, "carol", "system")
    grafeo_store.execute("MATCH (k:ApiKey {key: $p}) SET k.expires_at = '2000-01-01T00:00:00Z'",
                         {"p": old.split("_")[1]}, mode="write")
    auth._CACHE.clear()
    assert auth.verify_key(grafeo_store, old) is None
    states = {r["owner"]: r["state"] for r in auth.list_keys(grafeo_store)}
    assert states == {"bob": "revoked", "carol": "expired"}
    assert all("key_hash" not in r for r in auth.list_keys(grafeo_store))
