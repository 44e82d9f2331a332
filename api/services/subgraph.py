"""Subgraph extraction with caps, and its offline, escaped pyvis rendering.

Extraction is a breadth-first walk, one store query per hop (`api.expand`), over the allowed
relationship types and inside a date window. Caps: depth (≤ 3), node count, rows per hop; any cap
hit sets `truncated`. Hubs (an identifier shared by very many parties, a commodity code, a
country) are shown but not walked through: a business-centre address must not pull in 500 firms.
Each node says why it is there (the link that brought it in).

Rendering uses pyvis's own template with vis-network inlined (`cdn_resources="in_line"`), then
removes the template's Bootstrap CDN tags (pyvis adds them whatever the setting) and adds a
Content-Security-Policy that allows only the page's own inline scripts by hash, so nothing loads
from the network and no injected handler runs. Every tooltip is HTML-escaped before it reaches
pyvis, and the template is rendered in pyvis's custom-popup mode (the mode pyvis switches to when
a title contains `href`, which sets the popup's `innerHTML`): the escaped text then shows as text,
whatever the data holds. Labels are drawn on the canvas by vis-network, never parsed as HTML.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import date
from typing import Any

from graph.domain import schema

DEFAULT_RELS: tuple[str, ...] = (
    *schema.PARTY_ROLES.values(),
    *(i.rel for i in schema.IDENTIFIERS),
    "OFFICER_OF", "COMMITTED_BY", "CONCERNS", "RESOLVED_TO", "MEMBER_OF",
    # screening hits and the listed entities' own network: trader -> sanctioned owner (issue 14)
    "SCREENED_AS", "OWNS", "DIRECTS", "RELATED_TO",
)
#: the links that tie firms together as one network (no trade): used for the path to an offender
LINK_RELS: tuple[str, ...] = (
    *(i.rel for i in schema.IDENTIFIERS), "OFFICER_OF", "MEMBER_OF", "RESOLVED_TO", "COMMITTED_BY",
)
ALL_RELS: tuple[str, ...] = tuple(r.type for r in schema.RELS)
#: the bookkeeping kinds: never a subgraph root or node (keys, decisions, runs and the trail are not
#: the investigation graph, and answering for them would tell a caller which exist)
INTERNAL_LABELS = frozenset({"ApiKey", "Decision", "IngestRun", "ScoreRun", "AuditEvent"})
GRAPH_LABELS = frozenset(n.label for n in schema.NODES) - INTERNAL_LABELS
NO_WALK_LABELS = frozenset({"HSCode", "Country", "Route", "Vehicle"})  # shown, never walked through
HUB_DEGREE = 50  # identifier nodes with more parties than this are not walked through
DATE_MIN = date(1, 1, 1)
DATE_MAX = date(9999, 12, 31)

_LEGEND = {item["label"]: item for item in schema.legend()}


def node_id(label: str, key: str) -> str:
    return f"{label}:{key}"


def display_label(label: str, p: dict[str, Any]) -> str:
    """A short human label per node kind (text only; escaped where it becomes HTML)."""
    if label in ("Party", "Person", "Entity", "ListedEntity"):
        text = p.get("name") or p.get("key")
    elif label == "Declaration":
        text = (f"{p.get('declaration_id') or p.get('key')}/{p.get('item_no') or ''} "
                f"HS {p.get('hs_code') or '?'}")
    elif label == "Offence":
        text = f"{p.get('offence_type') or 'offence'} {p.get('date') or ''}".strip()
    elif label == "Group":
        text = f"group {p.get('key')} ({p.get('size') or '?'} members)"
    elif label == "HSCode":
        text = f"HS {p.get('code') or p.get('key')}"
    else:
        text = p.get("value") or p.get("code") or p.get("key")
    text = str(text or "")
    return text if len(text) <= 60 else text[:59] + "…"


def node_risk(label: str, p: dict[str, Any]) -> float | None:
    v = {"Party": p.get("risk_score"), "Group": p.get("risk"),
         "Declaration": (p.get("assessment_score") if p.get("assessment_score") is not None
                         else p.get("cover_score")),
         "Offence": 1.0, "ListedEntity": 1.0}.get(label)
    return float(v) if isinstance(v, (int, float)) else None


def _why(rel: str, outgoing: bool, src_kind: str, src_label: str) -> str:
    doc = schema.REL_BY_TYPE[rel].doc
    arrow = f"{src_kind} “{src_label}” —{rel}→ this" if outgoing else f"this —{rel}→ {src_kind} “{src_label}”"
    return f"{arrow} ({doc})"


def _walkable(label: str, p: dict[str, Any]) -> bool:
    if label in NO_WALK_LABELS:
        return False
    if label in schema.IDENTIFIER_BY_LABEL:
        deg = p.get("degree")
        return not (isinstance(deg, int) and deg > HUB_DEGREE)
    return True


def extract(store, root_label: str, root_key: str, *, depth: int, max_nodes: int,
            rel_types: list[str] | tuple[str, ...] = DEFAULT_RELS, date_from: date | None = None,
            date_to: date | None = None, root_props: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The capped subgraph around one node as plain data; None when the root does not exist.

    `root_props` saves the root lookup when the caller already holds the node's properties.
    """
    schema.label(root_label)
    if root_label not in GRAPH_LABELS:
        return None
    types = [schema.rel_type(t) for t in rel_types]
    if root_props is None:
        rows = store.run("api.node_by_key", key=root_key, label=root_label)
        if not rows:
            return None
        root_props = rows[0]["props"]
    root_id = node_id(root_label, root_key)
    nodes: dict[str, dict[str, Any]] = {root_id: {
        "id": root_id, "key": root_key, "kind": root_label, "label": display_label(root_label, root_props),
        "risk": node_risk(root_label, root_props), "depth": 0, "why": "the node you asked for",
        "expandable": _walkable(root_label, root_props),
    }}
    edges: dict[tuple[str, str, str], dict[str, str]] = {}
    truncated = False
    frontier = [(root_label, root_key)] if nodes[root_id]["expandable"] else []
    for d in range(1, depth + 1):
        if not frontier or not types:
            break
        if len(nodes) >= max_nodes:  # full: a further hop could add only links among the nodes shown
            truncated = True
            break
        # rows per hop: room for the nodes still allowed plus links among them (every row costs reads)
        row_cap = max(50, 3 * (max_nodes - len(nodes)))
        got = store.run("api.expand", frontier=[{"label": lb, "key": k} for lb, k in frontier], types=types,
                        date_from=date_from or DATE_MIN, date_to=date_to or DATE_MAX, limit=row_cap)
        if len(got) >= row_cap:
            truncated = True
        got.sort(key=lambda r: -(r["risk"] if isinstance(r["risk"], (int, float)) else 0.0))
        nxt: list[tuple[str, str]] = []
        for r in got:
            m_label, m_key = r["label"], r["key"]
            if m_key is None or m_label not in GRAPH_LABELS:
                continue
            props = {"degree": r["degree"]}
            mid = node_id(m_label, m_key)
            sid = node_id(r["src_label"], r["src"])
            if mid not in nodes:
                if len(nodes) >= max_nodes:
                    truncated = True
                    continue
                src = nodes[sid]
                walk = _walkable(m_label, props)
                text = str(r["text"] or m_key)
                risk = r["risk"]
                nodes[mid] = {"id": mid, "key": m_key, "kind": m_label,
                              "label": text if len(text) <= 60 else text[:59] + "…",
                              "risk": float(risk) if isinstance(risk, (int, float)) else None, "depth": d,
                              "why": _why(r["rel"], r["outgoing"], src["kind"], src["label"]),
                              "expandable": walk}
                if walk:
                    nxt.append((m_label, m_key))
            a, b = (sid, mid) if r["outgoing"] else (mid, sid)
            edges.setdefault((a, b, r["rel"]), {"source": a, "target": b, "type": r["rel"]})
        frontier = nxt
    return {
        "root": root_id, "depth": depth, "max_nodes": max_nodes, "rel_types": types,
        "offence_paths": offence_paths(root_id, nodes, list(edges.values())),
        "date_from": date_from, "date_to": date_to, "truncated": truncated,
        "nodes": list(nodes.values()), "edges": list(edges.values()), "legend": schema.legend(),
    }


def offence_paths(root: str, nodes: dict[str, dict[str, Any]], edges: list[dict[str, str]],
                  limit: int = 3) -> list[list[str]]:
    """Shortest paths (node ids, root first) from the root to the offences in the subgraph:
    how the entity connects to a known offender, nearest first."""
    adj: dict[str, list[str]] = {}
    for e in edges:
        adj.setdefault(e["source"], []).append(e["target"])
        adj.setdefault(e["target"], []).append(e["source"])
    parent: dict[str, str | None] = {root: None}
    queue = [root]
    found: list[list[str]] = []
    while queue and len(found) < limit:
        nxt = []
        for u in queue:
            for v in sorted(adj.get(u, ())):
                if v in parent:
                    continue
                parent[v] = u
                if nodes.get(v, {}).get("kind") == "Offence":
                    path: list[str] = []
                    w: str | None = v
                    while w is not None:
                        path.append(w)
                        w = parent[w]
                    found.append(path[::-1])
                nxt.append(v)
        queue = nxt
    return found[:limit]


def paths_to_offences(store, party_key: str, *, depth: int = 3,
                      max_nodes: int = 300) -> list[list[dict[str, Any]]]:
    """How a party connects to known offenders through shared identifiers, officers, groups and
    resolved entities (not trade): shortest paths, nearest first, as steps (id, kind, label, link)."""
    sub = extract(store, "Party", party_key, depth=depth, max_nodes=max_nodes, rel_types=LINK_RELS)
    if sub is None:
        return []
    by_id = {n["id"]: n for n in sub["nodes"]}
    rel = {}
    for e in sub["edges"]:
        rel[(e["source"], e["target"])] = rel[(e["target"], e["source"])] = e["type"]
    out = []
    for path in sub["offence_paths"]:
        steps = []
        for i, nid in enumerate(path):
            n = by_id[nid]
            steps.append({"id": nid, "kind": n["kind"], "label": n["label"],
                          "link": rel.get((path[i - 1], nid)) if i else None})
        out.append(steps)
    return out


# --------------------------------------------------------------------------- colours

def risk_color(kind: str, risk: float | None) -> str:
    """Parties and declarations coloured by risk (green → amber → red); other kinds by the legend."""
    if kind in ("Party", "Declaration", "Group") and risk is not None:
        if risk >= 0.7:
            return "#d32f2f"
        if risk >= 0.4:
            return "#f57c00"
        return "#388e3c"
    return _LEGEND.get(kind, {}).get("color", "#9e9e9e")


# --------------------------------------------------------------------------- pyvis

_CDN_TAG = re.compile(
    r"<link\b[^>]*\bhref=\"https?://[^\"]*\"[^>]*>|<script\b[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>",
    re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<script(?:\s+type=\"text/javascript\")?>(.*?)</script>", re.DOTALL)


def tooltip(n: dict[str, Any]) -> str:
    """The hover text of a node, HTML-escaped (shown through innerHTML by pyvis's popup)."""
    risk = "n/a" if n.get("risk") is None else f"{n['risk']:.2f}"
    lines = [f"{n['kind']}: {n['label']}", f"key: {n['key']}", f"risk: {risk}", f"why: {n['why']}"]
    return "<br>".join(html.escape(line, quote=True) for line in lines)


def csp_for(page: str) -> str:
    """A Content-Security-Policy allowing only this page's own inline scripts (by hash), no network."""
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
                     for s in _SCRIPT.findall(page)})
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src {' '.join(hashes)}; base-uri 'none'; form-action 'none'")


def render_html(sub: dict[str, Any], heading: str) -> tuple[str, str]:
    """The subgraph as a self-contained pyvis page; returns (html, content-security-policy)."""
    from pyvis.network import Network

    net = Network(height="780px", width="100%", directed=True, cdn_resources="in_line", heading="")
    net.set_options(json.dumps({
        "physics": {"solver": "forceAtlas2Based", "stabilization": {"iterations": 150}},
        "interaction": {"hover": True, "tooltipDelay": 150},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "font": {"size": 9}},
        "nodes": {"font": {"size": 13}},
    }))
    for n in sub["nodes"]:
        shape = _LEGEND.get(n["kind"], {}).get("shape", "dot")
        size = 28 if n["id"] == sub["root"] else 16
        net.add_node(n["id"], label=n["label"], title=tooltip(n), color=risk_color(n["kind"], n["risk"]),
                     shape=shape, size=size)
    for e in sub["edges"]:
        # no edge title: pyvis's custom popup looks hover ids up among the nodes only
        net.add_edge(e["source"], e["target"], label=e["type"])
    nodes, edges, _heading, height, width, options = net.get_network_data()
    template = net.templateEnv.get_template(net.path)
    page = template.render(
        height=height, width=width, nodes=nodes, edges=edges, heading="", options=options,
        physics_enabled=True, use_DOT=False, dot_lang=None, widget=False, bgcolor=net.bgcolor, conf=False,
        tooltip_link=True,  # custom popup: innerHTML of the escaped title, so escaped text shows as text
        neighborhood_highlight=False, select_menu=False, filter_menu=False, notebook=False,
        cdn_resources="in_line",
    )
    page = _CDN_TAG.sub("", page)
    head = (f"<h2 style=\"font-family:sans-serif\">{html.escape(heading)}</h2>"
            f"<p style=\"font-family:sans-serif\">{len(sub['nodes'])} nodes, {len(sub['edges'])} links"
            f"{' — truncated: a cap was hit' if sub['truncated'] else ''}</p>")
    page = page.replace("<body>", "<body>\n" + head, 1)
    if re.search(r"(?:src|href)=\"https?://", page):
        raise RuntimeError("the rendered graph page still references the network")
    csp = csp_for(page)
    page = page.replace("<head>",
                        f"<head>\n<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">", 1)
    return page, csp
