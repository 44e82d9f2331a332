"""Every Cypher statement Tamga sends: one named query per `.cypher` file, plus the per-label
statements generated from `graph.domain.schema` (`queries.generated`).

A query's name is its path below this folder without the suffix, with dots: the file
`queries/ingest/merge_parties.cypher` is `ingest.merge_parties`. Statements are written in the
Neo4j 5 dialect, take values only as `$parameters`, are linted by Neo4j's own front-end in CI
(`queries/lint/`) and run unchanged on Grafeo unless `queries.dialect` says otherwise.
A leading `//` comment block is the query's documentation.

Each query states its mode, read or write, once, beside the words that write: a statement that
writes has the header line `// mode: write`; one without it is a read. The store port runs a query
in its stated mode (Neo4j routes reads to readers, a read-only store refuses writes, Grafeo
serialises writers); nothing at run time guesses the mode from the text. A read-marked statement
that writes fails on Neo4j (READ access) and in the lint test over all queries (`queries.lint`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

HERE = Path(__file__).parent

Mode = Literal["read", "write"]
MODES: tuple[Mode, ...] = ("read", "write")
_MODE_LINE = re.compile(r"^//\s*mode:\s*(\S*)\s*$")


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    mode: Mode
    origin: str  # the file, or the schema generator that made it


def parse_mode(text: str, origin: str) -> Mode:
    """The mode a statement's leading comment block states (`// mode: write`); read without one."""
    found: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("//"):
            break
        if m := _MODE_LINE.match(line):
            found.append(m[1])
    if len(found) > 1:
        raise ValueError(f"{origin}: more than one `// mode:` line")
    if not found:
        return "read"
    if found[0] not in MODES:
        raise ValueError(f"{origin}: `// mode: {found[0]}` is not one of {', '.join(MODES)}")
    return found[0]


@lru_cache
def registry() -> dict[str, Query]:
    """Every named query: the `.cypher` files, then the generated per-label statements."""
    from queries import generated

    out: dict[str, Query] = {}
    for path in sorted(HERE.rglob("*.cypher")):
        if "node_modules" in path.parts:
            continue
        name = ".".join(path.relative_to(HERE).with_suffix("").parts)
        text = path.read_text(encoding="utf-8").strip()
        out[name] = Query(name, text, parse_mode(text, str(path)), str(path))
    for name, text in generated.statements().items():
        if name in out:
            raise ValueError(f"{name} is generated from the schema; delete {out[name].origin}")
        out[name] = Query(name, text, parse_mode(text, f"queries.generated ({name})"), "queries.generated")
    return out


def all_queries() -> dict[str, str]:
    """Name -> Neo4j-dialect text of every named query (files and generated)."""
    return {name: q.text for name, q in registry().items()}


def query(name: str) -> Query:
    try:
        return registry()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} under {HERE} or in queries.generated") from None


def get(name: str, backend: str = "neo4j") -> str:
    """The text of a named query for a backend (the dialect table may substitute a variant)."""
    from queries.dialect import variant

    q = query(name)
    text = variant(name, backend)
    return q.text if text is None else text


def mode(name: str) -> Mode:
    """The mode the query states: `write` if its file says `// mode: write`, else `read`."""
    return query(name).mode


def doc(name: str) -> str:
    lines = [ln[2:].strip() for ln in query(name).text.splitlines()
             if ln.startswith("//") and not _MODE_LINE.match(ln.strip())]
    return " ".join(lines)
