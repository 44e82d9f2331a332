"""The API over a scored simulated world: the root conftest's `scored_world` served over real HTTP."""

from __future__ import annotations

import pytest
from test_api_support import LiveServer


@pytest.fixture(scope="module")
def scored_api(scored_world):
    """(server, a key per role, the world's truth, the store, the settings): one server per module."""
    from api.auth import create_key

    w = scored_world
    keys = {r: create_key(w.store, f"{r}-user", r) for r in ("investigator", "system", "admin")}
    with LiveServer(w.settings, w.store) as server:
        yield server, keys, w.truth, w.store, w.settings
