"""Lint every Cypher statement Tamga sends with Neo4j's own front-end (`lint.mjs` beside this file).

Why Node: the only complete Cypher 5 grammar plus semantic analysis outside a running server is
Neo4j's `@neo4j-cypher/language-support` (an npm package, pinned in `package.json`). Install it once
with `npm ci --prefix queries/lint`; node runs once for the whole set, so a lint takes seconds.

Every diagnostic fails the build: grammar and semantic errors, unknown functions or procedures, and
labels, relationship types or property keys that `graph.domain.schema` does not declare (a misspelt name
would otherwise silently create a new label or key, or match nothing), and patterns the schema
cannot have (`(:Party)-[:DECLARED_BY]->(:Declaration)` runs the wrong way). Only undeclared
`$parameters` are ignored, as values arrive at run time.

Beside it, `mode_problems` checks each query's stated mode (`// mode: write`, see `queries`)
against its words once: a read that has a writing clause, or a write that has none, is a problem.
This is a lint only; at run time the stated mode decides.

Run `python -m queries.lint` for a report; exit status 1 when anything fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import queries
from graph.domain import schema

HERE = Path(__file__).parent
SCRIPT = HERE / "lint.mjs"
NODE_MODULES = HERE / "node_modules" / "@neo4j-cypher" / "language-support"
INSTALL = "npm ci --prefix queries/lint"


class LintUnavailable(RuntimeError):
    """Node or the pinned npm package is missing: the lint cannot run."""


def lint_schema() -> dict[str, Any]:
    """`graph.domain.schema.lint_schema()` plus the relationship endpoints, so impossible patterns are
    flagged."""
    s: dict[str, Any] = dict(schema.lint_schema())
    s["graphSchema"] = [{"from": r.start, "to": r.end, "relType": r.type} for r in schema.RELS]
    return s


def statements() -> list[dict]:
    """Every statement to lint: named queries (the files and those `queries.generated` makes from the
    schema), Neo4j-only dialect variants, and the Neo4j DDL."""
    from queries.dialect import VARIANTS

    items = [{"name": name, "text": text, "plugins": False} for name, text in queries.all_queries().items()]
    for name, by_backend in sorted(VARIANTS.items()):
        for backend, (text, _reason) in sorted(by_backend.items()):
            # Grafeo variants are Grafeo's dialect, not Neo4j's; Neo4j variants may use APOC/GDS.
            if backend == "neo4j":
                items.append({"name": f"{name} [neo4j variant]", "text": text, "plugins": True})
    for i, stmt in enumerate(schema.ddl_statements("neo4j")):
        items.append({"name": f"graph.domain.schema.ddl_statements('neo4j')[{i}]", "text": stmt,
                      "plugins": False})
    return items


_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)
_WRITE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|LOAD\s+CSV|FOREACH)\b", re.IGNORECASE)
_PROCEDURE = re.compile(r"\bCALL\s+[A-Za-z_]", re.IGNORECASE)  # not a `CALL {` / `CALL (x) {` subquery


def writing_clauses(text: str) -> list[str]:
    """The writing clauses of a statement, outside comments and string literals."""
    bare = _STRING.sub("''", _COMMENT.sub(" ", text))
    return [m.upper() for m in _WRITE.findall(bare)]


def mode_problems(named: dict[str, tuple[str, str]] | None = None) -> list[str]:
    """Queries whose stated mode disagrees with their words: {name: (mode, text)}, all queries by
    default. A procedure call may write or not, so a write-marked one is accepted."""
    if named is None:
        from queries.dialect import VARIANTS

        named = {name: (q.mode, q.text) for name, q in queries.registry().items()}
        named |= {f"{name} [{backend} variant]": (queries.mode(name), text)
                  for name, by_backend in VARIANTS.items() for backend, (text, _reason) in by_backend.items()}
    out = []
    for name, (mode, text) in sorted(named.items()):
        clauses = writing_clauses(text)
        if mode == "read" and clauses:
            out.append(f"{name}: marked read but writes ({', '.join(sorted(set(clauses)))}): "
                       "add `// mode: write` to its leading comment block")
        elif mode == "write" and not clauses and not _PROCEDURE.search(_COMMENT.sub(" ", text)):
            out.append(f"{name}: marked `// mode: write` but has no clause that writes")
    return out


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise LintUnavailable("node is not on PATH (Node.js 20+ is needed for the Cypher lint)")
    if not NODE_MODULES.is_dir():
        raise LintUnavailable(f"{NODE_MODULES} is missing: run `{INSTALL}` from the repository root")
    return node


def lint(items: list[dict], lint_schema_: dict | None = None, timeout: float = 300) -> list[dict]:
    """Lint `items` ({name, text[, plugins]}) in one node process; return every failing diagnostic."""
    node = node_executable()
    payload = json.dumps({"schema": lint_schema_ or lint_schema(), "queries": items})
    proc = subprocess.run([node, str(SCRIPT)], input=payload, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, cwd=HERE, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the Cypher linter failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def lint_all() -> list[dict]:
    """Lint every named query, every Neo4j variant and every Neo4j DDL statement; the failures."""
    return lint(statements())


def format_diagnostic(d: dict) -> str:
    return f"{d['name']}:{d['line']}:{d['column']}: {d['severity']}: {d['message']}"


def main() -> int:
    try:
        diags = lint_all()
    except LintUnavailable as e:
        print(f"cypher lint unavailable: {e}", file=sys.stderr)
        return 2
    modes = mode_problems()
    for d in diags:
        print(format_diagnostic(d))
    for m in modes:
        print(m)
    n = len(statements())
    print(f"{n} statements linted, {len(diags) + len(modes)} problem(s)", file=sys.stderr)
    return 1 if diags or modes else 0


if __name__ == "__main__":
    raise SystemExit(main())
