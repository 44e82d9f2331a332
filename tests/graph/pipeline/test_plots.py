"""The risk-area plots are plain SVG whatever the labels hold: every label is escaped (hypothesis over
any text, markup included), the SVG parses as XML, holds only drawing elements, and shows the label
(shortened when long) as text; a bar per row with a value. And the reader refuses an unscored store."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.pipeline import plots
from graph.pipeline.results import NotScoredError
from graph.pipeline.risk_areas import overview

SVG = "{http://www.w3.org/2000/svg}"
DRAWING = {"svg", "text", "rect", "title", "line", "polyline"}
TEXT = st.text(max_size=60)  # any text: markup, controls, any script


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert {e.tag.removeprefix(SVG) for e in root.iter()} <= DRAWING
    return root


@settings(max_examples=150, deadline=None)
@given(labels=st.lists(TEXT, min_size=1, max_size=6), title=TEXT,
       values=st.lists(st.one_of(st.none(), st.floats(0, 1e9)), min_size=6, max_size=6))
def test_any_label_is_escaped_and_shown_as_text(labels, title, values):
    rows = [(label, values[i], "") for i, label in enumerate(labels)]
    root = _parse(plots.bar_chart(title, rows, "money"))
    shown = [e.text or "" for e in root.iter(f"{SVG}text") if e.get("class") == "label"]
    clean = [plots._NOT_XML.sub(" ", x) for x in labels]  # what XML cannot carry shows as a space
    want = [x if len(x) <= plots.LABEL_CHARS else x[:plots.LABEL_CHARS - 1] + "…" for x in clean]
    assert shown == want
    assert (root.find(f"{SVG}text").text or "") == plots._NOT_XML.sub(" ", title)
    assert len(root.findall(f"{SVG}rect")) == sum(v is not None for v in values[:len(labels)])


def test_markup_in_a_label_never_becomes_an_element():
    svg = plots.bar_chart("<b>t</b>", [('<script>alert(1)</script>"', 1.0, "<i>"), ("x", None, "")])
    assert "<script" not in svg and "&lt;script&gt;" in svg
    _parse(svg)


def test_the_lane_chart_draws_a_line_per_lane():
    months = [{"month": f"2025-{m:02d}", "items": 10,
               "shares": {"red": 0.1, "yellow": 0.2, "blue": 0.0, "green": 0.7},
               "expected": {"red": 0.05, "yellow": 0.15, "blue": 0.01, "green": 0.79}} for m in range(1, 13)]
    root = _parse(plots.lane_chart("lanes <x>", months))
    assert len(root.findall(f"{SVG}polyline")) == 4
    assert len([e for e in root.iter(f"{SVG}line") if e.get("class") == "expected"]) == 4
    assert len(_parse(plots.lane_chart("none", [])).findall(f"{SVG}polyline")) == 0


def test_an_unscored_store_has_no_risk_areas(grafeo_store):
    with pytest.raises(NotScoredError):
        overview(grafeo_store)
