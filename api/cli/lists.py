"""The lists an analyst loads: risk profiles (versioned, all or nothing) and sanctions lists and
watchlists (issue 14: load a version, list them, screen parties against them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import EXIT_BAD_INPUT, fail, session


def profiles_load(
    path: Annotated[Path, typer.Argument(help="TOML file of [[profile]] tables")],
    user: Annotated[str, typer.Option(help="who loads them (kept on every version)")] = "cli",
) -> None:
    """Load risk profiles: all or nothing (one bad profile refuses the file, exit 2); a changed profile
    becomes its next version, an unchanged one is left as it is."""
    from graph.declarations.profiles import ProfileError, profiles_from_toml
    from graph.pipeline.profile_store import save

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read {path}: {e}", EXIT_BAD_INPUT)
    try:
        profiles = profiles_from_toml(text, str(path))
    except ProfileError as e:
        fail(f"{e}; nothing loaded", EXIT_BAD_INPUT)
    with session() as (_, store):
        done = [save(store, {**p.as_dict(), "valid_from": p.valid_from, "valid_to": p.valid_to}, user)
                for p in profiles]
    for p, new in done:
        typer.echo(f"{p.id} v{p.version} {'loaded' if new else 'unchanged'}")


def profiles_list() -> None:
    """The latest version of every risk profile, as JSON."""
    from graph.pipeline.profile_store import latest

    with session() as (_, store):
        typer.echo(json.dumps([p.as_dict() for p in latest(store)], indent=2))


def watchlist_load(
    file: Annotated[Path, typer.Argument(
        help="FollowTheMoney JSON lines (OpenSanctions) or the service's CSV")],
    name: Annotated[str, typer.Option(help="the list's name (letters, digits, '_', '.', '-')")],
    format: Annotated[str | None, typer.Option("--format",
                                               help="ftm or csv (default: from the suffix)")] = None,
    screen: Annotated[bool, typer.Option(
        help="re-screen every party against what this version changed")] = True,
) -> None:
    """Load a new version of a list; report what it added, changed and removed; re-screen the changes."""
    from graph.pipeline.screening import rescreen_list
    from ingest.watchlists import WatchlistError, load_watchlist

    if format not in (None, "ftm", "csv"):
        fail("--format must be ftm or csv", EXIT_BAD_INPUT)
    with session() as (_, store):
        try:
            report = load_watchlist(store, file, name=name, fmt=format)
        except WatchlistError as e:
            fail(str(e), EXIT_BAD_INPUT)
        out = report.summary()
        if screen:
            out["screening"] = rescreen_list(store, name, report.added + report.changed)
    typer.echo(json.dumps(out, indent=2, default=str))
    for r in report.rejected[:20]:
        typer.secho(f"warning: {file}:{r['line']}: field {r['field'] or '(row)'}: {r['message']} "
                    "(row not loaded)",
                    err=True, fg=typer.colors.YELLOW)
    if report.rejected:
        raise typer.Exit(EXIT_BAD_INPUT)


def watchlist_list() -> None:
    """The loaded lists with their versions and what each version changed."""
    from graph.pipeline.screening import watchlists

    with session() as (_, store):
        typer.echo(json.dumps(watchlists(store), indent=2, default=str))


def watchlist_screen(
    party: Annotated[str | None, typer.Option(
        help="one party's key (default: every party and officer)")] = None,
) -> None:
    """Screen every party and officer (or one party and its officers) against every list."""
    from graph.pipeline.screening import screen_party, screen_store

    with session() as (_, store):
        rep = screen_party(store, party) if party else screen_store(store)
    typer.echo(json.dumps(rep, indent=2, default=str))
