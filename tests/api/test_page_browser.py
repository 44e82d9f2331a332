"""The investigator's page in a real headless Chromium (Debian's `chromium`, driven by Playwright):
load, enter the key, search a Cyrillic spelling of a Latin-named ring member, open its card, see
its group and the path to the offender, expand a node, screenshot; with no request leaving
127.0.0.1, and a party named `<img src=x onerror=alert(1)>` shown as text.

CI installs the browser with `apt-get install -y chromium` (never `playwright install`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_api_support import RING_LATIN, XSS, live_api

from tests.support.browser import ARGS, CHROMIUM


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The live server over the test world (see test_api_support.live_api)."""
    yield from live_api(tmp_path_factory)


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium"),
]


def expect(locator):
    from playwright.sync_api import expect as _expect

    return _expect(locator)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, api):
    ctx = browser.new_context(viewport={"width": 1500, "height": 950})
    pg = ctx.new_page()
    pg.outside, pg.dialogs, pg.errors = [], [], []
    pg.on("request",
          lambda r: None if (urlparse(r.url).hostname in ("127.0.0.1", None)
                             or r.url.startswith(("blob:", "data:")))
          else pg.outside.append(r.url))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


def _login(page, api):
    page.goto(api.url + "/")
    page.fill("#api-key", api.keys["investigator"])
    page.click("#save-key")
    expect(page.locator("#key-state")).to_contain_text("key set")


def test_search_cyrillic_open_card_group_path_expand_screenshot(page, api, tmp_path):
    _login(page, api)
    page.fill("#q", "Восток")
    page.click("#search-btn")
    hit = page.locator("#results button.hit", has_text=RING_LATIN)
    hit.wait_for(timeout=15_000)
    hit.click()
    expect(page.locator("#card-name")).not_to_be_empty(timeout=15_000)
    assert page.text_content("#card-name") == RING_LATIN
    assert "group G1" in page.text_content("#card-group")
    why = page.locator("#card-reasons li").all_text_contents()  # each Reason's plain-words detail
    assert why[0].startswith("signal: offender links")
    assert any(w.startswith("shares with offender Offender Corp: Address") for w in why)
    assert "enforcement record: Offender Corp" in page.text_content("#card-group-reasons")
    path = page.locator("#card-path li").all_text_contents()
    assert path[0].startswith("Party: " + RING_LATIN) and path[-1].startswith("Offence: misclassification")
    assert any("Offender Corp" in p for p in path)
    expect(page.locator("#graph-state")).to_contain_text("nodes", timeout=20_000)
    assert page.evaluate("state.nodes.length") >= 5
    page.screenshot(path=str(tmp_path / "network.png"))

    # expand the group node: its members join the graph
    page.locator("#node-list button", has_text="Group: group G1").click()
    assert "MEMBER_OF" in page.text_content("#node-why")
    before = page.evaluate("state.nodes.length")
    page.click("#expand-btn")
    expect(page.locator("#graph-state")).to_contain_text("expanded", timeout=15_000)
    assert page.evaluate("state.nodes.get('Party:t:P3') !== null")
    assert page.evaluate("state.nodes.length") >= before
    page.screenshot(path=str(tmp_path / "expanded.png"))
    assert (tmp_path / "expanded.png").stat().st_size > 20_000
    os.environ.get("TAMGA_SCREENSHOT_DIR") and page.screenshot(
        path=str(Path(os.environ["TAMGA_SCREENSHOT_DIR"]) / "tamga-page.png"))
    assert page.outside == [] and page.errors == [] and page.dialogs == []


def test_a_party_named_with_markup_shows_as_text(page, api):
    _login(page, api)
    page.fill("#q", "P5")
    page.click("#search-btn")
    hit = page.locator("#results button.hit").first
    hit.wait_for(timeout=15_000)
    assert hit.text_content() == XSS
    hit.click()
    expect(page.locator("#graph-state")).to_contain_text("nodes", timeout=20_000)
    assert page.text_content("#card-name") == XSS
    assert page.locator("img").count() == 0  # nothing was parsed as markup
    page.locator("#node-list button", has_text=XSS).first.click()
    assert XSS in page.text_content("#node-title")
    assert page.dialogs == [] and page.errors == [] and page.outside == []


def test_the_pyvis_export_shows_markup_as_text_and_loads_nothing_from_outside(page, api, tmp_path):
    import httpx

    with httpx.Client(base_url=api.url, headers={"X-API-Key": api.keys["investigator"]}) as c:
        html = c.get("/api/v1/entities/t:P5/network.html").text
    f = tmp_path / "net.html"
    f.write_text(html, encoding="utf-8")
    page.goto(f.as_uri())
    page.wait_for_function("typeof network !== 'undefined' && network.body.data.nodes.length > 0",
                           timeout=20_000)
    labels = page.evaluate("network.body.data.nodes.get().map(n => n.label)")
    assert XSS in labels
    assert page.locator("img").count() == 0
    # hover text goes through pyvis's custom popup (innerHTML of the escaped title): text, not markup
    page.evaluate("(() => { const id = network.body.data.nodes.get()"
                  ".find(n => n.label.startsWith('<img')).id;"
                  " network.body.emitter.emit('showPopup', id); })()")
    popup = page.locator("div.popup")
    assert XSS in popup.text_content()
    assert popup.locator("img").count() == 0
    assert page.dialogs == [] and page.outside == []
    page.screenshot(path=str(tmp_path / "pyvis.png"))


def test_open_as_a_standalone_page_renders_under_its_own_csp(page, api, tmp_path):
    """Issue 15 item 9: the link used to open a blob page that inherited the app's CSP (blank page)."""
    _login(page, api)
    page.fill("#q", "Восток")
    page.click("#search-btn")
    page.locator("#results button.hit", has_text=RING_LATIN).click(timeout=15_000)
    expect(page.locator("#graph-state")).to_contain_text("nodes", timeout=20_000)
    with page.context.expect_page(timeout=20_000) as opened:
        page.click("#pyvis-link")
    tab = opened.value
    blocked = []
    tab.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    tab.wait_for_url(re.compile(r".*/ui/network/[A-Za-z0-9_-]+$"), timeout=20_000)
    assert not tab.url.startswith("blob:")
    tab.wait_for_function("typeof network !== 'undefined' && network.body.data.nodes.length > 0",
                          timeout=20_000)
    labels = tab.evaluate("network.body.data.nodes.get().map(n => n.label)")
    assert RING_LATIN in labels and len(labels) >= 5
    tab.screenshot(path=str(tmp_path / "standalone.png"))
    assert blocked == [] and page.errors == [] and page.outside == []
    # the ticket works once: a reload (or anyone who got the URL later) gets 404, with no data
    assert tab.reload().status == 404
    assert "Ring" not in (tab.content() or "") and RING_LATIN not in tab.content()
