"""`tamga export`: the result tables for a spreadsheet or another system (the one CSV renderer,
`graph.pipeline.export`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import EXIT_BAD_INPUT, fail, session


def export(
    kind: Annotated[str, typer.Argument(help="entities, groups, cover-items, unit-value-anomalies, "
                                             "hs-switches, resolved-entities, audit-targets, "
                                             "screening-hits, risk-areas, effectiveness, compliance or "
                                             "trader-categories")],
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    budget: Annotated[int | None, typer.Option(help="audit-targets: how many targets")] = None,
) -> None:
    """Write a table of results for a spreadsheet or another system."""
    from graph.pipeline.export import export as run_export

    if format not in ("csv", "json"):
        fail("--format must be csv or json", EXIT_BAD_INPUT)
    with session() as (_, store):
        try:
            result = run_export(store, kind, format, out, budget=budget)
        except ValueError as e:
            fail(str(e), EXIT_BAD_INPUT)
    if out is None:
        sys.stdout.write(str(result))
    else:
        typer.echo(f"wrote {result}", err=True)
