"""The headless Chromium the page tests drive, in one place: where it is, how it starts, and what a
page test watches (requests leaving 127.0.0.1, dialogs, script errors: each must stay empty)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = Path(os.environ.get("TAMGA_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def watched_page(browser: Any, **viewport: int) -> tuple[Any, list[str], list[str], list[str]]:
    """A new page of `browser` with its outside requests, dialogs (dismissed) and page errors recorded."""
    pg = browser.new_page(viewport=viewport or {"width": 1500, "height": 950})
    outside: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: None if urlparse(r.url).hostname in ("127.0.0.1", None)
          or r.url.startswith(("blob:", "data:")) else outside.append(r.url))
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    return pg, outside, dialogs, errors


@contextmanager
def signed_in(url: str, key: str) -> Iterator[tuple[Any, Any, list[str], list[str], list[str]]]:
    """Chromium on the page at `url` with `key` entered: (playwright's sync_api, the page, outside
    requests, dialogs, page errors); the browser is closed after."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            pg, outside, dialogs, errors = watched_page(b)
            pg.goto(url + "/")
            pg.fill("#api-key", key)
            pg.click("#save-key")
            yield sync_api, pg, outside, dialogs, errors
        finally:
            b.close()
