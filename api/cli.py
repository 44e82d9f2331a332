"""The `tamga` command line: the product's outer edge, next to the HTTP API.

Each command is a thin wrapper over a library function (simulator, ingest, pipeline, export,
keys, app); it turns the product's errors into a clear message and a non-zero exit code.
Exit codes: 0 done, 1 unexpected failure, 2 bad input (bundle, arguments), 3 store unavailable.
`ingest` and `score` hand their job to a running `tamga serve` of the same data folder (`api.handoff`)
and exit with the job's outcome; exit 3 is left for a store held by a process that is not a server.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from graph.settings import Settings, get_settings
from graph.store import GraphStore, StoreBusyError, StoreError, open_store

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Tamga: customs fraud network analyser.")
keys_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")
app.add_typer(keys_app, name="keys")
profiles_app = typer.Typer(no_args_is_help=True, help="Load and list risk profiles.")
app.add_typer(profiles_app, name="profiles")

EXIT_BAD_INPUT = 2
EXIT_STORE = 3


def _fail(message: str, code: int) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def _open(settings: Settings) -> GraphStore:
    try:
        store = open_store(settings)
        store.ensure_schema()
        return store
    except StoreBusyError as e:
        _fail(str(e), EXIT_STORE)
    except StoreError as e:
        _fail(str(e), EXIT_STORE)
    raise AssertionError("unreachable")


@contextmanager
def _session() -> Iterator[tuple[Settings, GraphStore]]:
    """Settings and the open store for one command; the store is closed whatever happens."""
    s = _settings()
    store = _open(s)
    try:
        yield s, store
    finally:
        store.close()


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as e:  # pydantic's ValidationError is a ValueError
        _fail(f"settings refused: {e}", EXIT_BAD_INPUT)
    raise AssertionError("unreachable")


@app.command()
def world(
    out_dir: Annotated[Path, typer.Argument(help="folder to write the bundle and truth.json into")],
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same world")] = 7,
    declarations: Annotated[int, typer.Option(help="number of declaration rows (goods items)")] = 40_000,
) -> None:
    """Generate a simulated world: a contract bundle with planted schemes and its ground truth."""
    from ingest.simulate import generate_world

    summary = generate_world(out_dir, seed=seed, declarations=declarations)
    typer.echo(json.dumps(summary, indent=2, default=str))


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="bundle folder (CSV, .csv.gz or Parquet files)")],
    profile: Annotated[str, typer.Option(help="mapping profile: contract, kcs, ...")] = "contract",
    source: Annotated[str | None, typer.Option(help="source name used in node keys")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Load a bundle into the store; bad rows go to quarantine, the rest loads."""
    from ingest.load import ingest_bundle
    from ingest.validate import BundleError

    if not path.exists():
        _fail(f"no such bundle: {path}", EXIT_BAD_INPUT)
    if _handed_off("ingest", ("/api/v1/ingest-runs", {"path": str(path.resolve()), "profile": profile,
                                                     "source": source}), progress):
        return
    with _session() as (s, store):
        try:
            report = ingest_bundle(store, path, profile=profile, source=source, settings=s, progress=progress)
        except BundleError as e:
            _fail(str(e), EXIT_BAD_INPUT)
    typer.echo(report.summary() if hasattr(report, "summary") else json.dumps(report, indent=2, default=str))


@app.command()
def status() -> None:
    """Counts per node kind and relationship type, the last ingest report, and interrupted runs."""
    from api.services.runs import interrupted_runs
    from ingest.load import store_status

    with _session() as (_, store):
        out = store_status(store)
        out["interrupted_runs"] = interrupted_runs(store)  # ingest and scoring runs
        typer.echo(json.dumps(out, indent=2, default=str))
        for r in out["interrupted_runs"]:
            typer.secho(f"warning: {r.get('kind', 'a')} run {r['key']} was interrupted "
                        f"(started {r.get('started_at')}): {r.get('rerun', 're-run it')}", err=True,
                        fg=typer.colors.YELLOW)


@app.command()
def score(
    communities: Annotated[bool, typer.Option(help="run community detection on the trading network")] = True,
    where: Annotated[str, typer.Option(help="auto, child (the analytics in a process of their own, "
                                            "on the ledger) or in-process (on frames read from the "
                                            "store)")] = "auto",
) -> None:
    """Run every analysis (resolution, groups, risk, phoenix, cover items, assessment) and store the
    results."""
    from graph.pipeline.run import score as run_score

    if _handed_off("score", ("/api/v1/score-runs", {"communities": communities}), True):
        return
    with _session() as (s, store):
        report = run_score(store, s, communities=communities, where=where)
    typer.echo(json.dumps(report, indent=2, default=str))


@app.command()
def export(
    kind: Annotated[str, typer.Argument(help="entities, groups, cover-items, unit-value-anomalies, "
                                             "hs-switches, resolved-entities, audit-targets or "
                                             "screening-hits")],
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    budget: Annotated[int | None, typer.Option(help="audit-targets: how many targets")] = None,
) -> None:
    """Write a table of results for a spreadsheet or another system."""
    from graph.pipeline.export import export as run_export

    if format not in ("csv", "json"):
        _fail("--format must be csv or json", EXIT_BAD_INPUT)
    with _session() as (_, store):
        try:
            result = run_export(store, kind, format, out, budget=budget)
        except ValueError as e:
            _fail(str(e), EXIT_BAD_INPUT)
    if out is None:
        sys.stdout.write(str(result))
    else:
        typer.echo(f"wrote {result}", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the HTTP API and the investigator's page (the server holds the embedded store)."""
    s = _settings()
    store = _open(s)
    _run_server(s, store, host, port)


@app.command()
def demo(
    declarations: Annotated[int, typer.Option(help="size of the simulated world")] = 40_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve",
                                              help="start the server at the end")] = True,
) -> None:
    """Generate a world, load it into the embedded store, score it, and serve it."""
    from api.auth import create_key
    from graph.pipeline.run import score as run_score
    from ingest.load import ingest_bundle
    from ingest.simulate import generate_world

    s = _settings()
    world_dir = s.data_dir / "worlds" / f"demo-{seed}-{declarations}"
    typer.echo(f"1/4 generating a world of {declarations:,} declarations (seed {seed}) in {world_dir}")
    generate_world(world_dir, seed=seed, declarations=declarations)
    store = _open(s)
    try:
        typer.echo("2/4 loading it into the embedded store")
        report = ingest_bundle(store, world_dir, settings=s, progress=True)
        typer.echo(report.summary() if hasattr(report, "summary") else str(report))
        typer.echo("3/4 scoring: entity resolution, linked groups, network risk, cover items, assessment")
        run_score(store, s)
        key = create_key(store, owner="demo", role="admin", expires_days=7)
        truth = json.loads((world_dir / "truth.json").read_text(encoding="utf-8"))
    except BaseException:
        store.close()
        raise
    rings = truth.get("rings", [])
    url = f"http://{host}:{port}/"
    typer.echo("4/4 ready\n")
    typer.echo(f"  Investigator's page: {url}")
    typer.echo(f"  API docs:            {url}docs")
    typer.echo(f"  Admin API key (shown once, valid 7 days): {key}")
    typer.echo(f"  Store: {s.grafeo_path}   World and its ground truth: {world_dir}")
    if rings:
        r = rings[0]
        typer.echo(f"  Try: search for a member of planted ring {r.get('ring_id')}: "
                   f"{', '.join(r.get('members', [])[:3])}")
    typer.echo("  Example: curl -H 'X-API-Key: <key>' " + f"'{url}api/v1/entities/search?q=vostok'\n")
    if serve_after:
        _run_server(s, store, host, port)
    else:
        store.close()


def _handed_off(tag: str, submit: tuple[str, dict], progress: bool) -> bool:
    """When a server of this data folder runs, submit the job to it, follow it and exit with its outcome
    (0 done, 2 bad input, 1 otherwise); False when there is no server (the command runs itself)."""
    from api.handoff import find_server, follow

    server = find_server(_settings())
    if server is None:
        return False
    try:
        job = follow(server, submit, progress=progress, tag=tag)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as e:  # noqa: BLE001 — the server went away under us: say so
        _fail(f"lost the server while following the job: {e}", 1)
    if job["state"] == "done":
        typer.echo(job.get("summary") or json.dumps(job.get("report"), indent=2, default=str))
        return True
    why = job.get("error") or f"the job ended {job['state']}"
    _fail(f"{tag} job {job.get('id', '')} {job['state']}: {why}",
          EXIT_BAD_INPUT if job.get("error_kind") == "bad_input" else 1)
    raise AssertionError("unreachable")


def _run_server(s: Settings, store: GraphStore, host: str, port: int) -> None:
    """Serve; publish the hand-off file (`api.handoff`) once the socket listens, remove it at the end."""
    import threading

    import uvicorn

    from api import handoff
    from api.app import create_app
    from api.server import uvicorn_config

    token = handoff.new_token()
    server = uvicorn.Server(uvicorn_config(create_app(s, store, handoff_token=token), s, host, port))
    stop = threading.Event()

    def publish_when_listening() -> None:
        while not stop.wait(0.05):
            if server.started:
                handoff.publish(s, host, port, token)
                return

    watcher = threading.Thread(target=publish_when_listening, daemon=True)
    watcher.start()
    try:
        server.run()
    finally:
        stop.set()
        handoff.withdraw(s, token)
        store.close()


@keys_app.command("create")
def keys_create(
    owner: Annotated[str, typer.Argument(help="person or system the key belongs to")],
    role: Annotated[str, typer.Option(help="investigator, auditor, system or admin")] = "investigator",
    expires_days: Annotated[int, typer.Option(help="days until the key expires")] = 90,
) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    from api.auth import create_key

    with _session() as (_, store):
        try:
            key = create_key(store, owner, role, expires_days=expires_days)
        except ValueError as e:
            _fail(str(e), EXIT_BAD_INPUT)
    typer.echo(key)


@keys_app.command("revoke")
def keys_revoke(prefix: Annotated[str, typer.Argument(
        help="the key's prefix as shown by `tamga keys list`")]) -> None:
    """Revoke an API key."""
    from api.auth import revoke_key

    with _session() as (_, store):
        done = revoke_key(store, prefix)
    if not done:
        _fail(f"no active key with prefix {prefix!r}", EXIT_BAD_INPUT)
    typer.echo(f"revoked {prefix}")


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (prefix, owner, role, expiry; never the key)."""
    from api.auth import list_keys

    with _session() as (_, store):
        typer.echo(json.dumps(list_keys(store), indent=2, default=str))


@profiles_app.command("load")
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
        _fail(f"cannot read {path}: {e}", EXIT_BAD_INPUT)
    try:
        profiles = profiles_from_toml(text, str(path))
    except ProfileError as e:
        _fail(f"{e}; nothing loaded", EXIT_BAD_INPUT)
    with _session() as (_, store):
        done = [save(store, {**p.as_dict(), "valid_from": p.valid_from, "valid_to": p.valid_to}, user)
                for p in profiles]
    for p, new in done:
        typer.echo(f"{p.id} v{p.version} {'loaded' if new else 'unchanged'}")


@profiles_app.command("list")
def profiles_list() -> None:
    """The latest version of every risk profile, as JSON."""
    from graph.pipeline.profile_store import latest

    with _session() as (_, store):
        typer.echo(json.dumps([p.as_dict() for p in latest(store)], indent=2))


# --------------------------------------------------------------------------- watchlists (issue 14)
watchlist_app = typer.Typer(no_args_is_help=True,
                            help="Load sanctions lists and watchlists; screen against them.")
app.add_typer(watchlist_app, name="watchlist")


@watchlist_app.command("load")
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
        _fail("--format must be ftm or csv", EXIT_BAD_INPUT)
    with _session() as (_, store):
        try:
            report = load_watchlist(store, file, name=name, fmt=format)
        except WatchlistError as e:
            _fail(str(e), EXIT_BAD_INPUT)
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


@watchlist_app.command("list")
def watchlist_list() -> None:
    """The loaded lists with their versions and what each version changed."""
    from graph.pipeline.screening import watchlists

    with _session() as (_, store):
        typer.echo(json.dumps(watchlists(store), indent=2, default=str))


@watchlist_app.command("screen")
def watchlist_screen(
    party: Annotated[str | None, typer.Option(
        help="one party's key (default: every party and officer)")] = None,
) -> None:
    """Screen every party and officer (or one party and its officers) against every list."""
    from graph.pipeline.screening import screen_party, screen_store

    with _session() as (_, store):
        rep = screen_party(store, party) if party else screen_store(store)
    typer.echo(json.dumps(rep, indent=2, default=str))


# --------------------------------------------------------------------------- the ledger (issue 10)
ledger_app = typer.Typer(no_args_is_help=True, help="The Parquet ledger beside the store.")
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("compact")
def ledger_compact(
    kind: Annotated[list[str] | None, typer.Option(
        help="parties, declarations, officers or offences (repeatable; default: all)")] = None,
) -> None:
    """Merge each partition folder's small parts into one (swapped in atomically; the rows and their
    digests stay as they are, so a re-ingest still adds nothing). Runs beside readers and a server:
    writers wait on the ledger's lock while a folder is swapped."""
    from graph.ledger import KINDS, Ledger
    from graph.ledger.compaction import CompactionUnsupported

    s = _settings()
    unknown = sorted(set(kind or ()) - set(KINDS))
    if unknown:
        _fail(f"--kind: unknown {unknown} (one of {', '.join(KINDS)})", EXIT_BAD_INPUT)
    ledger = Ledger.of(s)
    try:
        done = ledger.compact(kind or None)
    except CompactionUnsupported as e:
        _fail(str(e), 1)
    typer.echo(json.dumps({"ledger": str(ledger.root), "compacted": [c.as_dict() for c in done],
                           "parts_removed": sum(c.parts_before - c.parts_after for c in done)}, indent=2))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
