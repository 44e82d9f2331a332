"""Every Cypher statement Tamga sends, one named query per `.cypher` file.

A query's name is its path below this folder without the suffix, with dots: the file
`queries/ingest/merge_parties.cypher` is `ingest.merge_parties`. Statements are written in the
Neo4j 5 dialect, take values only as `$parameters`, are linted by Neo4j's own front-end in CI
(`queries/lint/`) and run unchanged on Grafeo unless `queries.dialect` says otherwise.
A leading `//` comment block is the query's documentation.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent


@lru_cache
def all_queries() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(HERE.rglob("*.cypher")):
        if "node_modules" in path.parts:
            continue
        name = ".".join(path.relative_to(HERE).with_suffix("").parts)
        out[name] = path.read_text(encoding="utf-8").strip()
    return out


def get(name: str, backend: str = "neo4j") -> str:
    """The text of a named query for a backend (the dialect table may substitute a variant)."""
    from queries.dialect import variant

    text = variant(name, backend)
    if text is not None:
        return text
    try:
        return all_queries()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} under {HERE}") from None


def doc(name: str) -> str:
    lines = [ln[2:].strip() for ln in all_queries()[name].splitlines() if ln.startswith("//")]
    return " ".join(lines)
