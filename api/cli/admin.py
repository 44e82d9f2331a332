"""The operator's commands: the store's status and interrupted runs, API keys (create, revoke, list), and
the ledger's compaction."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from api.cli.common import EXIT_BAD_INPUT, fail, session, settings


def status() -> None:
    """Counts per node kind and relationship type, the last ingest report, and interrupted runs."""
    from api.services.runs import interrupted_runs
    from ingest.load import store_status

    with session() as (_, store):
        out = store_status(store)
        out["interrupted_runs"] = interrupted_runs(store)  # ingest and scoring runs
        typer.echo(json.dumps(out, indent=2, default=str))
        for r in out["interrupted_runs"]:
            typer.secho(f"warning: {r.get('kind', 'a')} run {r['key']} was interrupted "
                        f"(started {r.get('started_at')}): {r.get('rerun', 're-run it')}", err=True,
                        fg=typer.colors.YELLOW)


def keys_create(
    owner: Annotated[str, typer.Argument(help="person or system the key belongs to")],
    role: Annotated[str, typer.Option(
        help="investigator, auditor, analyst, system or admin")] = "investigator",
    expires_days: Annotated[int, typer.Option(help="days until the key expires")] = 90,
) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    from api.auth import create_key

    with session() as (_, store):
        try:
            key = create_key(store, owner, role, expires_days=expires_days)
        except ValueError as e:
            fail(str(e), EXIT_BAD_INPUT)
    typer.echo(key)


def keys_revoke(prefix: Annotated[str, typer.Argument(
        help="the key's prefix as shown by `tamga keys list`")]) -> None:
    """Revoke an API key."""
    from api.auth import revoke_key

    with session() as (_, store):
        done = revoke_key(store, prefix)
    if not done:
        fail(f"no active key with prefix {prefix!r}", EXIT_BAD_INPUT)
    typer.echo(f"revoked {prefix}")


def keys_list() -> None:
    """List API keys (prefix, owner, role, expiry; never the key)."""
    from api.auth import list_keys

    with session() as (_, store):
        typer.echo(json.dumps(list_keys(store), indent=2, default=str))


def ledger_compact(
    kind: Annotated[list[str] | None, typer.Option(
        help="parties, declarations, officers or offences (repeatable; default: all)")] = None,
) -> None:
    """Merge each partition folder's small parts into one (swapped in atomically; the rows and their
    digests stay as they are, so a re-ingest still adds nothing). Runs beside readers and a server:
    writers wait on the ledger's lock while a folder is swapped."""
    from graph.ledger import KINDS, Ledger
    from graph.ledger.compaction import CompactionUnsupported

    s = settings()
    unknown = sorted(set(kind or ()) - set(KINDS))
    if unknown:
        fail(f"--kind: unknown {unknown} (one of {', '.join(KINDS)})", EXIT_BAD_INPUT)
    ledger = Ledger.of(s)
    try:
        done = ledger.compact(kind or None)
    except CompactionUnsupported as e:
        fail(str(e), 1)
    typer.echo(json.dumps({"ledger": str(ledger.root), "compacted": [c.as_dict() for c in done],
                           "parts_removed": sum(c.parts_before - c.parts_after for c in done)}, indent=2))
