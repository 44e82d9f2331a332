"""The folders are the architecture: imports run one way only, and this test keeps it so.

    graph.domain, graph.settings  <-  graph.store, queries  <-  graph.engine
        <-  graph.network, graph.declarations  <-  graph.pipeline  <-  api
    ingest uses graph.domain, graph.settings and graph.store only (it never runs analytics);
    bench.evaluations may use the product but not the API; the benchmark scripts use everything.

Every import is checked, the ones inside functions too (ast walk), so a lazy import cannot hide a
wrong direction.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("graph", "ingest", "queries", "api", "bench")

#: layer -> the layers it may import (itself always allowed)
ALLOWED: dict[str, set[str]] = {
    "graph.domain": set(),
    "graph.settings": set(),
    "graph.engine": set(),
    "graph.ledger": {"graph.domain", "graph.settings"},
    "queries": {"graph.domain"},
    "graph.store": {"graph.domain", "graph.settings", "graph.ledger", "queries"},
    "graph.network": {"graph.domain", "graph.settings", "graph.store", "graph.engine"},
    "graph.declarations": {"graph.domain", "graph.settings", "graph.store", "graph.engine"},
    "graph.pipeline": {"graph.domain", "graph.settings", "graph.store", "graph.engine", "graph.network",
                       "graph.declarations", "graph.ledger"},
    "ingest": {"graph.domain", "graph.settings", "graph.store", "graph.ledger", "queries"},
    "api": {"graph.domain", "graph.settings", "graph.store", "graph.engine", "graph.network",
            "graph.declarations", "graph.pipeline", "ingest", "queries", "graph.ledger"},
    "bench.evaluations": {"graph.domain", "graph.settings", "graph.store", "graph.engine", "graph.network",
                          "graph.declarations", "graph.pipeline", "ingest", "queries"},
    "bench": {"api", "bench.evaluations", "graph.ledger", "graph.domain", "graph.settings", "graph.store",
              "graph.engine", "graph.network", "graph.declarations", "graph.pipeline", "ingest", "queries"},
}


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to (the longest layer name that prefixes it)."""
    best = None
    for layer in ALLOWED:
        if (module == layer or module.startswith(layer + ".")) and (best is None or len(layer) > len(best)):
            best = layer
    if best is None and module == "graph":
        return "graph"
    return best


def imports(path: Path) -> list[tuple[int, str]]:
    """Every project module `path` imports, with its line (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    own = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package, up level - 1
                package = own.split(".") if path.name == "__init__.py" else own.split(".")[:-1]
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
            found.append((node.lineno, base))
    return [(line, m) for line, m in found if m.split(".")[0] in PACKAGES]


def sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "node_modules" not in p.parts)


def violations(path: Path) -> list[str]:
    own = layer_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
    if own is None:
        return []
    bad = []
    for line, module in imports(path):
        target = layer_of(module)
        if target is None or target == own or target == "graph":
            continue
        if target not in ALLOWED[own]:
            bad.append(f"{path.relative_to(ROOT)}:{line}: {own} imports {module} ({target})")
    return bad


def test_every_import_runs_downwards():
    bad = [v for p in sources() for v in violations(p)]
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_every_source_file_has_a_layer():
    """A new top-level module in graph/ must be placed in a layer (or be one)."""
    loose = [p for p in sources() if layer_of(".".join(p.relative_to(ROOT).with_suffix("").parts)) is None
             and p.relative_to(ROOT).as_posix() != "graph/__init__.py"]
    assert not loose


@pytest.mark.parametrize("source, target", [
    ("graph/engine/x.py", "from graph.network import risk"),
    ("graph/domain/x.py", "import graph.store"),
    ("ingest/x.py", "from graph.network.risk import score_entities"),
    ("graph/declarations/x.py", "def f():\n    from graph.pipeline import run\n"),
    ("graph/store/x.py", "from ..network import groups"),
    ("bench/evaluations/x.py", "from api.app import create_app"),
])
def test_a_wrong_direction_is_caught(tmp_path, monkeypatch, source, target):
    """The checker itself: a planted upward import is reported (so the test above can fail)."""
    fake = ROOT / source
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: target if self == fake else
                        Path.read_bytes(self).decode())
    assert violations(fake)
