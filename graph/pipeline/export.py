"""`tamga export KIND --format csv|json`: tables for a spreadsheet or another system.

Kinds: entities, groups, cover-items, unit-value-anomalies, hs-switches, resolved-entities,
audit-targets (with a budget). One row per item (per switch event for hs-switches). CSV headers are
plain words (investigators open these in a spreadsheet; UTF-8 with a BOM so spreadsheet programs
read Cyrillic names correctly) and reasons are one readable sentence list; JSON uses the
snake_case field names and keeps reasons structured.

Everything is read from the store through key-range paged `analytics.export_*` queries, i.e. what
the last `tamga score` wrote. The audit plan is the one the pipeline computed and stored with its
run (graph.declarations.audit_plan), sliced to the requested budget: no whole-graph work at export or API time.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from graph.store import GraphStore


class NotScoredError(ValueError):
    """The store holds no score run yet: an export would be empty, which reads as "nothing risky"."""

    def __init__(self) -> None:
        super().__init__("no scores in the store yet: run `tamga score` first")


KINDS = ("entities", "groups", "cover-items", "unit-value-anomalies", "hs-switches", "resolved-entities",
         "audit-targets")

# JSON field -> CSV header, per kind (order = column order)
COLUMNS: dict[str, dict[str, str]] = {
    "entities": {"party_id": "Party ID", "entity_id": "Entity ID", "name": "Name", "risk_score": "Risk score",
                 "rank": "Rank", "group_id": "Group ID", "reasons": "Reasons"},
    "groups": {"group_id": "Group ID", "party_id": "Party ID", "name": "Name", "group_risk": "Group risk",
               "links": "Links"},
    "cover-items": {"declaration_id": "Declaration ID", "item_no": "Item", "declared_hs": "Declared HS",
                    "suspected_hs": "Suspected HS", "score": "Score", "reasons": "Reasons"},
    "unit-value-anomalies": {"declaration_id": "Declaration ID", "item_no": "Item", "date": "Date",
                             "hs_code": "HS code", "unit_value": "Value per kg",
                             "norm_unit_value": "Usual value per kg", "robust_z": "Robust z",
                             "direction": "Direction", "duties_at_stake": "Duties at stake", "reasons": "Reasons"},
    "hs-switches": {"party_id": "Party ID", "name": "Name", "date": "Date", "from_hs": "From HS", "to_hs": "To HS",
                    "n_new": "Items under the new code", "n_old_after": "Items still under the old code",
                    "duty_rate_before": "Duty rate before", "duty_rate_after": "Duty rate after", "score": "Score",
                    "reasons": "Reasons"},
    "resolved-entities": {"party_id": "Party ID", "entity_id": "Entity ID", "confidence": "Confidence"},
    "audit-targets": {"rank": "Rank", "target_id": "Target ID", "target_kind": "Target kind", "name": "Name",
                      "expected_amount": "Expected amount", "risk": "Risk", "duties_at_stake": "Duties at stake",
                      "pick": "Selected by", "reasons": "Reasons"},
}


def _paged(store: GraphStore, name: str, page: int = 50_000) -> list[dict[str, Any]]:
    return [row for _after, rows in store.pages(name, page=page) for row in rows]


def _loads(x: Any) -> Any:
    if x is None or x == "":
        return None
    if isinstance(x, str):
        try:
            return json.loads(x)
        except ValueError:
            return x
    return x


def _via_text(via: list[dict]) -> str:
    return ", ".join(f"{v['kind']} {v['value']} (specificity {v['specificity']})" for v in via[:3])


def risk_reasons_text(r: dict | None) -> str:
    """One readable line from a party's stored risk reasons: contributions, then the evidence."""
    if not r:
        return ""
    bits = []
    contrib = r.get("contributions") or []
    if contrib:
        bits.append("signals: " + ", ".join(f"{c['feature'].replace('_', ' ')} {c['contribution']:.2f}"
                                            for c in contrib[:4]))
    for p in (r.get("offender_paths") or [])[:3]:
        who = p["offender"]["name"] or p["offender"]["entity_id"]
        if "through" in p:
            mid = p["through"]["name"] or p["through"]["entity_id"]
            bits.append(f"linked to offender {who} through {mid}: {_via_text(p['via'])}; then {_via_text(p['then_via'])}")
        else:
            bits.append(f"shares with offender {who}: {_via_text(p['via'])}")
    for t in (r.get("trade_with_offenders") or [])[:2]:
        who = t["offender"]["name"] or t["offender"]["entity_id"]
        bits.append(f"trades with offender {who} ({t['as']}, {t['declarations']} declarations)")
    ph = r.get("phoenix")
    if ph:
        shared = ", ".join(s["kind"] for s in ph.get("shared", []))
        bits.append(f"may succeed {ph.get('predecessor_name') or ph.get('predecessor')} (deregistered "
                    f"{ph.get('predecessor_deregistered_on')}; registered {ph.get('registered_on')}; shares {shared}; "
                    f"goods overlap {ph.get('goods_overlap')}, supplier overlap {ph.get('supplier_overlap')})")
    g = r.get("group")
    if g:
        bits.append(f"member of linked group {g['group_id']} ({g['size']} entities, group risk {g['risk']})")
    if r.get("own_record_weight"):
        bits.append(f"own enforcement record (weight {r['own_record_weight']})")
    return "; ".join(bits)


def _detail_text(rs: list[dict] | None) -> str:
    if not rs:
        return ""
    return "; ".join(str(x.get("detail") or x.get("feature")) for x in rs if isinstance(x, dict))


def _links_text(links: list[dict] | None) -> str:
    if not links:
        return ""
    return "; ".join(f"{x['kind']} {x['value']} (specificity {x['specificity']}, shared by {x['shared_by']})"
                     for x in links[:10])


def _rows(store: GraphStore, kind: str, budget: int | None) -> list[dict[str, Any]]:
    if kind in ("entities", "groups", "resolved-entities"):
        parties = _paged(store, "analytics.export_parties")
        if kind == "entities":
            rows = [{"party_id": p["party_id"], "entity_id": p["entity_id"], "name": p["name"],
                     "risk_score": p["risk_score"], "rank": p["risk_rank"], "group_id": p["group_id"],
                     "reasons": _loads(p["risk_reasons"])} for p in parties if p["risk_score"] is not None]
            rows.sort(key=lambda r: (r["rank"] if r["rank"] is not None else 1 << 60, r["party_id"] or ""))
            return rows
        if kind == "groups":
            rows = [{"group_id": p["group_id"], "party_id": p["party_id"], "name": p["name"],
                     "group_risk": p["group_risk"], "links": _loads(p["group_links"])}
                    for p in parties if p["group_risk"] is not None]
            rows.sort(key=lambda r: (-(r["group_risk"] or 0.0), r["group_id"], r["party_id"]))
            return rows
        rows = [{"party_id": p["party_id"], "entity_id": p["entity_id"], "confidence": p["entity_confidence"]}
                for p in parties if p["entity_id"] is not None]
        rows.sort(key=lambda r: (r["entity_id"], r["party_id"]))
        return rows
    if kind == "cover-items":
        rows = [{"declaration_id": d["declaration_id"], "item_no": d["item_no"], "declared_hs": d["declared_hs"],
                 "suspected_hs": d["suspected_hs"], "score": d["score"], "reasons": _loads(d["reasons"])}
                for d in _paged(store, "analytics.export_cover_items")]
        rows.sort(key=lambda r: (-(r["score"] or 0.0), r["declaration_id"], r["item_no"] or 0))
        return rows
    if kind == "unit-value-anomalies":
        rows = [{"declaration_id": d["declaration_id"], "item_no": d["item_no"], "date": d["date"],
                 "hs_code": d["hs_code"], "unit_value": d["unit_value"], "norm_unit_value": d["norm_unit_value"],
                 "robust_z": d["robust_z"], "direction": "under" if d["robust_z"] < 0 else "over",
                 "duties_at_stake": d["duties_at_stake"], "reasons": _loads(d["reasons"])}
                for d in _paged(store, "analytics.export_unit_value_anomalies")]
        rows.sort(key=lambda r: (-abs(r["robust_z"]), r["declaration_id"], r["item_no"] or 0))
        return rows
    if kind == "hs-switches":
        # one row per switch event: the events are stored as a JSON list on their trader's Party node
        rows = [{"party_id": p["party_id"], "name": p["name"], "date": ev.get("date"), "from_hs": ev.get("from_hs"),
                 "to_hs": ev.get("to_hs"), "n_new": ev.get("n_new"), "n_old_after": ev.get("n_old_after"),
                 "duty_rate_before": ev.get("duty_rate_before"), "duty_rate_after": ev.get("duty_rate_after"),
                 "score": ev.get("score"), "reasons": ev.get("reasons")}
                for p in _paged(store, "analytics.export_hs_switches") for ev in _loads(p["hs_switches"]) or []]
        rows.sort(key=lambda r: (-(r["score"] or 0.0), r["party_id"] or "", r["date"] or ""))
        return rows
    if kind == "audit-targets":
        return _audit_rows(store, budget)
    raise ValueError(f"unknown export kind {kind!r}: choose one of {', '.join(KINDS)}")


def _audit_rows(store: GraphStore, budget: int | None) -> list[dict[str, Any]]:
    """The first `budget` targets of the audit plan the last full `tamga score` stored.

    The plan is computed by the pipeline (graph.declarations.audit_plan.audit_targets: expected duties recovered, with
    a seeded random share); here the risk picks are taken in rank order and the random picks keep
    their share of the budget, so no whole-graph computation runs at export (or API) time.
    """
    if budget is None or budget <= 0:
        raise ValueError("audit-targets needs --budget N (how many audits), N >= 1")
    plan, share = None, 0.0
    for run in store.run("analytics.latest_score_runs", limit=20):
        rep = _loads(run["report"]) or {}
        if rep.get("audit_plan_rows"):
            plan, share = rep["audit_plan_rows"], float(rep.get("audit_random_share") or 0.0)
            break
    if plan is None:
        raise NotScoredError()
    n_random = min(int(budget * share + 1e-9), sum(1 for p in plan if p["pick"] == "random"))
    risk = [p for p in plan if p["pick"] != "random"][: budget - n_random]
    rand = [p for p in plan if p["pick"] == "random"][:n_random]
    rows = [dict(p) for p in risk + rand]
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


def _csv_value(kind: str, field: str, v: Any) -> Any:
    if field == "reasons":
        return risk_reasons_text(v) if kind == "entities" else _detail_text(v)
    if field == "links":
        return _links_text(v)
    return v


def export(store: GraphStore, kind: str, fmt: str, out: Path | None, *, budget: int | None = None) -> Path | str:
    """Write the export; return the path written, or the text when `out` is None."""
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}: choose one of {', '.join(KINDS)}")
    if fmt not in ("csv", "json"):
        raise ValueError("format must be csv or json")
    if not store.run("analytics.latest_score_runs", limit=1):
        # an empty table would read as "nothing risky": say what is missing instead
        raise NotScoredError()
    rows = _rows(store, kind, budget)
    cols = COLUMNS[kind]
    if fmt == "json":
        text = orjson.dumps([{f: r.get(f) for f in cols} for r in rows], option=orjson.OPT_INDENT_2).decode()
        data = text.encode("utf-8")
    else:
        df = pd.DataFrame([{h: _csv_value(kind, f, r.get(f)) for f, h in cols.items()} for r in rows],
                          columns=list(cols.values()))
        buf = io.StringIO()
        df.to_csv(buf, index=False, lineterminator="\n")
        text = buf.getvalue()
        data = ("\ufeff" + text).encode("utf-8")
    if out is None:
        return text
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
