"""The `tamga` command line: the product's outer edge, next to the HTTP API.

Each command is a thin wrapper over a library function (simulator, ingest, pipeline, export,
keys, app); it turns the product's errors into a clear message and a non-zero exit code.
Exit codes: 0 done, 1 unexpected failure, 2 bad input (bundle, arguments), 3 store unavailable.
This module is the parser: it names every command in the order `tamga --help` lists them; the
commands live by family in run (world, ingest, score, serve, demo), export, admin (status, keys,
ledger compaction) and lists (profiles, watchlists); common holds the exit codes and the session.
"""

from __future__ import annotations

import typer

from api.cli import admin, export, lists, run

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Tamga: customs fraud network analyser.")
keys_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")
app.add_typer(keys_app, name="keys")
profiles_app = typer.Typer(no_args_is_help=True, help="Load and list risk profiles.")
app.add_typer(profiles_app, name="profiles")
watchlist_app = typer.Typer(no_args_is_help=True,
                            help="Load sanctions lists and watchlists; screen against them.")
app.add_typer(watchlist_app, name="watchlist")
ledger_app = typer.Typer(no_args_is_help=True, help="The Parquet ledger beside the store.")
app.add_typer(ledger_app, name="ledger")

for command in (run.world, run.ingest, admin.status, run.score, export.export, run.serve, run.demo):
    app.command()(command)
for sub, name, fn in (
        (keys_app, "create", admin.keys_create), (keys_app, "revoke", admin.keys_revoke),
        (keys_app, "list", admin.keys_list),
        (profiles_app, "load", lists.profiles_load), (profiles_app, "list", lists.profiles_list),
        (watchlist_app, "load", lists.watchlist_load), (watchlist_app, "list", lists.watchlist_list),
        (watchlist_app, "screen", lists.watchlist_screen), (ledger_app, "compact", admin.ledger_compact)):
    sub.command(name)(fn)


def main() -> None:
    app()
