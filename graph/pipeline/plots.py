"""The risk-areas plots as SVG text, drawn by Tamga itself: no plotting library, no CDN, no script.

Customs networks are often offline and the page runs under a CSP without inline script, so the plots
are plain SVG built here from `graph.pipeline.risk_areas.overview`: horizontal bar charts (offences,
hit rates and duties at stake per area; profile hits) and a line chart (lane shares per month with the
expected shares dashed). Every text that reaches the SVG (area names come from the data: a border
post, a route or a profile name can carry markup) goes through `_t` (`html.escape`, quotes too), and
numbers are formatted here, so no value is ever written into the markup unescaped.

Each bar is a `<rect class="bar">` and each line a `<polyline class="line">`, so a browser test can
count what was drawn.
"""

from __future__ import annotations

import html
import re
from typing import Any

from graph.pipeline.risk_areas import DIMENSIONS

W, BAR_H, GAP, LEFT, RIGHT, TOP = 600, 18, 6, 200, 110, 30
LABEL_CHARS = 28  # what fits left of the bars at 11 px
TOP_N = 12
LANE_COLOURS = {"red": "#d32f2f", "yellow": "#f9a825", "blue": "#1e88e5", "green": "#43a047"}
METRICS: dict[str, tuple[str, str]] = {  # metric -> (title words, value format)
    "offences": ("offences", "int"), "hit_rate": ("inspection hit rate", "pct"),
    "duties_at_stake": ("duties at stake", "money"),
}


#: characters XML 1.0 cannot carry at all (controls, surrogates, U+FFFE/U+FFFF): shown as a space, or
#: the browser would refuse the whole plot
_NOT_XML = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _t(x: Any, cut: int | None = None) -> str:
    """Text for the SVG: escaped (markup in a label shows as text); with `cut`, long labels shortened
    (the full label stays in the bar's tooltip)."""
    s = _NOT_XML.sub(" ", "none" if x is None else str(x))
    if cut is not None and len(s) > cut:
        s = s[:cut - 1] + "…"
    return html.escape(s, quote=True)


def _fmt(v: float | None, kind: str) -> str:
    if v is None:
        return "n/a"
    if kind == "pct":
        return f"{100 * v:.1f} %"
    if kind == "money":
        return f"{v:,.0f}"
    return f"{v:g}"


def bar_chart(title: str, rows: list[tuple[Any, float | None, str]], kind: str = "int") -> str:
    """A horizontal bar chart of (label, value, note) rows; a missing value draws no bar but keeps its
    label; the note (e.g. "3 of 40 inspected") follows the value."""
    h = TOP + len(rows) * (BAR_H + GAP) + 10
    top = max((v for _, v, _ in rows if v is not None), default=0.0) or 1.0
    span = W - LEFT - RIGHT
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {W} {h}" width="{W}" '
           f'height="{h}" role="img" aria-label="{_t(title)}">',
           f'<text x="4" y="18" class="title" font-size="14" font-weight="bold">{_t(title)}</text>']
    if not rows:
        out.append(f'<text x="{LEFT}" y="{TOP + 12}" font-size="12">nothing recorded</text>')
    for i, (label, v, note) in enumerate(rows):
        y = TOP + i * (BAR_H + GAP)
        shown = _fmt(v, kind) + (f" ({note})" if note else "")
        out.append(f'<text x="{LEFT - 6}" y="{y + 13}" text-anchor="end" font-size="11" class="label">'
                   f'{_t(label, LABEL_CHARS)}</text>')
        width = max(0.0, float(v or 0.0)) / top * span
        if v is not None:
            out.append(f'<rect class="bar" x="{LEFT}" y="{y}" width="{width:.1f}" height="{BAR_H}" '
                       f'fill="#5e35b1"><title>{_t(label)}: {_t(shown)}</title></rect>')
        out.append(f'<text x="{LEFT + width + 4:.1f}" y="{y + 13}" font-size="11">{_t(shown)}</text>')
    out.append("</svg>")
    return "".join(out)


def lane_chart(title: str, months: list[dict[str, Any]]) -> str:
    """Lane shares per month (solid) against the expected shares (dashed), one colour per lane."""
    h, left, bottom, right = 260, 50, 40, 110
    span_x, span_y = W - left - right, h - TOP - bottom
    n = len(months)

    def x(i: int) -> float:
        return left + (i / (n - 1) * span_x if n > 1 else span_x / 2)

    def y(v: float) -> float:
        return TOP + (1 - v) * span_y

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {W} {h}" width="{W}" '
           f'height="{h}" role="img" aria-label="{_t(title)}">',
           f'<text x="4" y="18" class="title" font-size="14" font-weight="bold">{_t(title)}</text>']
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<line x1="{left}" x2="{left + span_x}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">'
                   f'{int(v * 100)} %</text>')
    step = max(1, n // 8)
    for i in range(0, n, step):
        out.append(f'<text x="{x(i):.1f}" y="{h - bottom + 16}" text-anchor="middle" font-size="10" '
                   f'class="label">{_t(months[i]["month"])}</text>')
    for k, (lane, colour) in enumerate(LANE_COLOURS.items()):
        if n:
            pts = " ".join(f"{x(i):.1f},{y(m['shares'][lane]):.1f}" for i, m in enumerate(months))
            out.append(f'<polyline class="line" data-lane="{lane}" points="{pts}" fill="none" '
                       f'stroke="{colour}" stroke-width="2"><title>{lane} share</title></polyline>')
            e = y(months[0]["expected"][lane])
            out.append(f'<line class="expected" x1="{left}" x2="{left + span_x}" y1="{e:.1f}" y2="{e:.1f}" '
                       f'stroke="{colour}" stroke-dasharray="5 4"><title>{lane} expected '
                       f'{_t(_fmt(months[0]["expected"][lane], "pct"))}</title></line>')
        exp = _fmt(months[0]["expected"][lane], "pct") if n else ""
        out.append(f'<text x="{W - right + 8}" y="{TOP + 14 + 16 * k}" font-size="11" fill="{colour}">'
                   f'{lane} {_t(exp)}</text>')
    if not n:
        out.append(f'<text x="{left + 10}" y="{TOP + 20}" font-size="12">no items</text>')
    out.append(f'<text x="{W - right + 8}" y="{TOP + 86}" font-size="10">dashed: expected</text></svg>')
    return "".join(out)


def _note(a: dict[str, Any], metric: str) -> str:
    """What a hit rate rests on: a high rate of few inspections reads differently."""
    return f"{a['hits']} of {a['inspected']}" if metric == "hit_rate" else ""


def _top(areas: list[dict[str, Any]], metric: str, dimension: str) -> list[tuple[Any, float | None, str]]:
    if dimension == "month":  # in time order: the last TOP_N months
        picked = [a for a in areas if a["area"] is not None][-TOP_N:]
    else:
        picked = sorted((a for a in areas if a[metric] is not None),
                        key=lambda a: (-a[metric], -a["items"], str(a["area"])))[:TOP_N]
    return [(a["area"], a[metric], _note(a, metric)) for a in picked]


def names() -> dict[str, str]:
    """Every plot's name -> its title (the order the page shows them in)."""
    out = {f"{m.replace('_', '-')}-by-{d.replace('_', '-')}": f"{words.capitalize()} by {DIMENSIONS[d]}"
           for d in DIMENSIONS for m, (words, _) in METRICS.items()}
    out["lane-shares"] = "Lane shares per month against the expected shares"
    out["profiles-most"] = "Risk profiles that fire most (items)"
    out["profiles-least"] = "Risk profiles that fire least (items)"
    return out


def plot(view: dict[str, Any], name: str) -> str:
    """One plot of the view as SVG text; `KeyError` for an unknown name."""
    title = names()[name]
    if name == "lane-shares":
        return lane_chart(title, view["lane_shares"])
    if name.startswith("profiles-"):
        ps = view["profiles"]
        rows = ps[:TOP_N] if name == "profiles-most" else sorted(
            ps, key=lambda p: (p["hits"], p["profile_id"]))[:TOP_N]
        return bar_chart(title, [(p["name"], p["hits"], p["action"] or "") for p in rows])
    metric, _, dim = name.partition("-by-")
    metric, dim = metric.replace("-", "_"), dim.replace("-", "_")
    return bar_chart(title, _top(view["dimensions"][dim], metric, dim), METRICS[metric][1])


def all_plots(view: dict[str, Any]) -> dict[str, str]:
    return {name: plot(view, name) for name in names()}
