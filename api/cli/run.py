"""The commands that make and run a world: generate, ingest, score, serve, and the demo that does all four.

`ingest` and `score` hand their job to a running `tamga serve` of the same data folder (`api.handoff`)
and exit with the job's outcome; exit 3 is left for a store held by a process that is not a server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import EXIT_BAD_INPUT, fail, open_checked, session, settings
from graph.settings import Settings
from graph.store import GraphStore


def world(
    out_dir: Annotated[Path, typer.Argument(help="folder to write the bundle and truth.json into")],
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same world")] = 7,
    declarations: Annotated[int, typer.Option(help="number of declaration rows (goods items)")] = 40_000,
) -> None:
    """Generate a simulated world: a contract bundle with planted schemes and its ground truth."""
    from ingest.simulate import generate_world

    summary = generate_world(out_dir, seed=seed, declarations=declarations)
    typer.echo(json.dumps(summary, indent=2, default=str))


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
        fail(f"no such bundle: {path}", EXIT_BAD_INPUT)
    if _handed_off("ingest", ("/api/v1/ingest-runs", {"path": str(path.resolve()), "profile": profile,
                                                     "source": source}), progress):
        return
    with session() as (s, store):
        try:
            report = ingest_bundle(store, path, profile=profile, source=source, settings=s, progress=progress)
        except BundleError as e:
            fail(str(e), EXIT_BAD_INPUT)
    typer.echo(report.summary() if hasattr(report, "summary") else json.dumps(report, indent=2, default=str))


def score(
    communities: Annotated[bool, typer.Option(help="run community detection on the trading network")] = True,
    where: Annotated[str, typer.Option(help="auto, child (the analytics in a process of their own, "
                                            "on the ledger) or in-process (on frames read from the "
                                            "store)")] = "auto",
    retrain: Annotated[bool, typer.Option("--retrain", help="train the assessment model even when the "
                                                            "stored one is fresh")] = False,
) -> None:
    """Run every analysis (resolution, groups, risk, phoenix, cover items, assessment) and store the
    results."""
    from graph.pipeline.run import score as run_score

    if _handed_off("score", ("/api/v1/score-runs", {"communities": communities, "retrain": retrain}), True):
        return
    with session() as (s, store):
        report = run_score(store, s, communities=communities, where=where, retrain=retrain)
    typer.echo(json.dumps(report, indent=2, default=str))


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the HTTP API and the investigator's page (the server holds the embedded store)."""
    s = settings()
    store = open_checked(s)
    _run_server(s, store, host, port)


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

    s = settings()
    world_dir = s.data_dir / "worlds" / f"demo-{seed}-{declarations}"
    typer.echo(f"1/4 generating a world of {declarations:,} declarations (seed {seed}) in {world_dir}")
    generate_world(world_dir, seed=seed, declarations=declarations)
    store = open_checked(s)
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

    server = find_server(settings())
    if server is None:
        return False
    try:
        job = follow(server, submit, progress=progress, tag=tag)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as e:  # noqa: BLE001 — the server went away under us: say so
        fail(f"lost the server while following the job: {e}", 1)
    if job["state"] == "done":
        typer.echo(job.get("summary") or json.dumps(job.get("report"), indent=2, default=str))
        return True
    why = job.get("error") or f"the job ended {job['state']}"
    fail(f"{tag} job {job.get('id', '')} {job['state']}: {why}",
         EXIT_BAD_INPUT if job.get("error_kind") == "bad_input" else 1)


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
