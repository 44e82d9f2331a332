"""Shared fixtures: a real embedded store on disk per test, and the same tests on Neo4j when
NEO4J_URI is set (otherwise those runs are reported as skipped, with the reason)."""

from __future__ import annotations

import os
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


def dataset(*parts: str) -> Path:
    """A file under ../shared/datasets; the test is skipped (with the reason) where it is absent."""
    p = DATASETS.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"outside dataset not present: {p}")
    return p
