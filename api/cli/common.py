"""What every command shares: the exit codes, the one way to fail, and the settings and store of a session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from graph.settings import Settings, get_settings
from graph.store import GraphStore, StoreError, open_store

EXIT_BAD_INPUT = 2
EXIT_STORE = 3


def fail(message: str, code: int) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def open_checked(settings: Settings) -> GraphStore:
    """The store with its schema ensured; a busy or broken store exits 3."""
    try:
        store = open_store(settings)
        store.ensure_schema()
        return store
    except StoreError as e:  # StoreBusyError included
        fail(str(e), EXIT_STORE)


@contextmanager
def session() -> Iterator[tuple[Settings, GraphStore]]:
    """Settings and the open store for one command; the store is closed whatever happens."""
    s = settings()
    store = open_checked(s)
    try:
        yield s, store
    finally:
        store.close()


def settings() -> Settings:
    try:
        return get_settings()
    except ValueError as e:  # pydantic's ValidationError is a ValueError
        fail(f"settings refused: {e}", EXIT_BAD_INPUT)
