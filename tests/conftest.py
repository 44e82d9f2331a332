"""Shared fixtures: a real embedded store on disk per test, and the same tests on Neo4j when
NEO4J_URI is set (otherwise those runs are reported as skipped, with the reason); a simulated world
ingested and scored once per module (`scored_world`), and the same served over HTTP (`scored_api`).
Here, not in tests/api/conftest.py: a second conftest would shadow `from conftest import dataset`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.settings import Settings
from graph.store import GraphStore, open_store

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATASETS = Path(os.environ.get("TAMGA_DATASETS", SHARED / "datasets"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Development settings with a private data directory (the embedded store lives in it)."""
    return Settings(env="test", data_dir=tmp_path / "data")


@pytest.fixture
def grafeo_store(settings: Settings):
    store = open_store(settings)
    store.ensure_schema()
    yield store
    store.close()


def _neo4j_settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "data", store="neo4j")


@pytest.fixture(params=["grafeo", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def any_store(request, tmp_path: Path) -> GraphStore:
    """The same test on both stores: Grafeo always, Neo4j when NEO4J_URI is set."""
    if request.param == "neo4j":
        if not os.environ.get("NEO4J_URI"):
            pytest.skip("Neo4j adapter not exercised: NEO4J_URI is not set (no Neo4j server on this machine)")
        store = open_store(_neo4j_settings(tmp_path))
        store.execute("MATCH (n) DETACH DELETE n", mode="write")
    else:
        store = open_store(Settings(env="test", data_dir=tmp_path / "data"))
    store.ensure_schema()
    yield store
    store.close()


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Path:
    """A seeded simulated world (~3,000 declaration rows, bundle + truth.json), made once per session."""
    from ingest.simulate import generate_world

    out = tmp_path_factory.mktemp("small_world")
    generate_world(out, seed=7, declarations=3000)
    return out


@dataclass(frozen=True)
class ScoredWorld:
    """A simulated world ingested into a real Grafeo store on disk (and its ledger) and scored once."""

    settings: Settings
    store: GraphStore
    world: Path
    truth: dict


@pytest.fixture(scope="module")
def scored_world_params() -> dict:
    """What `scored_world` builds; a module overrides this fixture for another world (`seed`,
    `declarations`) or a scoring run without communities (`communities=False`)."""
    return {}


@pytest.fixture(scope="module")
def scored_world(scored_world_params: dict, request, tmp_path_factory):
    """The scored world, one per module (the modules write decisions, items and profiles into it).
    The default world is the session's `small_world`; another seed or size is generated here."""
    from graph.pipeline.run import score
    from ingest.load import ingest_bundle
    from ingest.simulate import generate_world

    p = {"seed": 7, "declarations": 3000, "communities": True, **scored_world_params}
    if (p["seed"], p["declarations"]) == (7, 3000):
        world = request.getfixturevalue("small_world")
    else:
        world = tmp_path_factory.mktemp(f"world-{p['seed']}-{p['declarations']}")
        generate_world(world, seed=p["seed"], declarations=p["declarations"])
    # the API modules walk routes with wrong keys from 127.0.0.1: the failed-authentication throttle
    # is tested on its own server (test_api_hardening), here it stays out of the way
    settings = Settings(env="test", data_dir=tmp_path_factory.mktemp("scored") / "data",
                        auth_fail_limit=100_000)
    store = open_store(settings)
    store.ensure_schema()
    try:
        ingest_bundle(store, world, settings=settings, progress=False)
        score(store, settings, progress=False, communities=p["communities"])
        truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))
        yield ScoredWorld(settings, store, world, truth)
    finally:
        store.close()


@pytest.fixture(scope="module")
def scored_api(scored_world: ScoredWorld):
    """The scored world over real HTTP: (server, a key per role, the world's truth, the store, the
    settings), one server per module."""
    from api.auth import create_key
    from tests.api.test_api_support import LiveServer

    w = scored_world
    keys = {r: create_key(w.store, f"{r}-user", r) for r in ("investigator", "system", "admin")}
    with LiveServer(w.settings, w.store) as server:
        yield server, keys, w.truth, w.store, w.settings


def dataset(*parts: str) -> Path:
    """A file under ../shared/datasets; the test is skipped (with the reason) where it is absent."""
    p = DATASETS.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"outside dataset not present: {p}")
    return p
