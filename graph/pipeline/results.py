"""The read model of stored results: the one reader that `tamga export` and the API routes share.

What the last `tamga score` wrote (party risk, entities, groups, cover items, unit-value anomalies,
HS switches, lanes, the audit plan of the run report) is read here and nowhere else, through
named queries: whole tables in key-range pages (`analytics.export_*`, for the exports) or one page
with filters (`api.*`, for the routes). Every stored explanation leaves as a list of
`graph.domain.reasons.Reason`.

Why the mapping onto `Reason` happens here, where results are read, and not where the analyses
produce them: the stored JSON stays what it was, so stores scored before keep reading without a
re-score, and the analyses (and their tests) keep their own shapes; this module is the one place
that knows each stored shape.

Length: over 400 lines because it is the one reader: one function per stored table, each short.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from graph.domain.reasons import Evidence, Reason
from graph.store import GraphStore

PAGE = 50_000


class NotScoredError(ValueError):
    """The store holds no score run yet: an export would be empty, which reads as "nothing risky"."""

    def __init__(self) -> None:
        super().__init__("no scores in the store yet: run `tamga score` first")


# --------------------------------------------------------------------------- data version

def data_version(store: GraphStore) -> tuple[Any, Any]:
    """(latest ingest start, latest score start): what caches of stored results (the API's search
    index and assessor) compare to know that the data changed."""
    r = store.run("api.data_version")
    return (r[0]["ingest"], r[0]["score"]) if r else (None, None)


def scored(store: GraphStore) -> bool:
    return bool(store.run("analytics.latest_score_runs", limit=1))


# --------------------------------------------------------------------------- stored JSON -> Reason

def loads(x: Any) -> Any:
    """A JSON column as written by the pipeline, parsed (unparseable text is returned as is)."""
    if x is None or x == "":
        return None
    if isinstance(x, (str, bytes)):
        try:
            return orjson.loads(x)
        except orjson.JSONDecodeError:
            return x
    return x


def _words(feature: str) -> str:
    return feature.replace("_", " ")


def _ident(v: dict) -> Evidence:
    return Evidence(kind=str(v.get("kind")), id=str(v.get("value")), weight=v.get("specificity"))


def _via_text(via: list[dict]) -> str:
    return ", ".join(f"{v['kind']} {v['value']} (specificity {v['specificity']})" for v in via[:3])


def _entity(who: dict) -> Evidence:
    return Evidence(kind="entity", id=str(who.get("entity_id")), label=who.get("name") or None)


def _risk(r: dict) -> list[Reason]:
    """A party's risk explanation (`graph.network.risk.reasons`: contributions and evidence paths)."""
    out = [Reason(feature=c["feature"], value=c.get("value"), contribution=c.get("contribution"),
                  detail=f"signal: {_words(c['feature'])} {c.get('value')}, "
                         f"contribution {c['contribution']:.2f}")
           for c in r.get("contributions") or []]
    for p in r.get("offender_paths") or []:
        off = p["offender"]
        who = off.get("name") or off.get("entity_id")
        ev = [_entity(off)]
        if "through" in p:
            mid = p["through"].get("name") or p["through"].get("entity_id")
            detail = (f"linked to offender {who} through {mid}: {_via_text(p['via'])}; "
                      f"then {_via_text(p.get('then_via') or [])}")
            ev += [_entity(p["through"]), *map(_ident, p["via"]), *map(_ident, p.get("then_via") or [])]
        else:
            detail = f"shares with offender {who}: {_via_text(p['via'])}"
            ev += map(_ident, p["via"])
        out.append(Reason(feature="offender_path", value=p.get("link_weight"), detail=detail,
                          evidence=tuple(ev)))
    for t in r.get("trade_with_offenders") or []:
        who = t["offender"].get("name") or t["offender"].get("entity_id")
        out.append(Reason(feature="trade_with_offender", value=t.get("declarations"),
                          detail=f"trades with offender {who} ({t['as']}, {t['declarations']} declarations)",
                          evidence=(_entity(t["offender"]),)))
    for h in r.get("watchlist_hits") or []:
        listed = Evidence("listed_entity", f"{h['list']}:{h['entity_id']}", h.get("name"))
        said = (f"{h.get('name') or h['entity_id']} (score {h.get('score')}, "
                f"{str(h.get('state')).replace('_', ' ')})")
        o = h.get("officer")
        if o:  # an officer's hit, counted on the company at a lower weight (graph.network.risk)
            role = f" ({o['role']})" if o.get("role") else ""
            out.append(Reason(feature="watchlist_hit", value=h.get("score"),
                              detail=f"officer {o.get('name') or o['key']}{role} may be listed on list "
                                     f"{h['list']}: {said}",
                              evidence=(Evidence("person", str(o["key"]), o.get("name")), listed)))
            continue
        out.append(Reason(feature="watchlist_hit", value=h.get("score"),
                          detail=f"screening hit on list {h['list']}: {said}", evidence=(listed,)))
    ph = r.get("phoenix")
    if ph:
        shared = ", ".join(s["kind"] for s in ph.get("shared", []))
        out.append(Reason(
            feature="phoenix", value=ph.get("score"),
            detail=(f"may succeed {ph.get('predecessor_name') or ph.get('predecessor')} (deregistered "
                    f"{ph.get('predecessor_deregistered_on')}; registered "
                    f"{ph.get('registered_on')}; shares {shared}; "
                    f"goods overlap "
                    f"{ph.get('goods_overlap')}, supplier overlap {ph.get('supplier_overlap')})"),
            evidence=(Evidence("entity", str(ph.get("predecessor")), ph.get("predecessor_name") or None),
                      *map(_ident, ph.get("shared", [])))))
    g = r.get("group")
    if g:
        out.append(Reason(feature="group", value=g.get("risk"),
                          detail=f"member of linked group "
                                 f"{g['group_id']} ({g['size']} entities, group risk {g['risk']})",
                          evidence=(Evidence("group", str(g["group_id"])),)))
    if r.get("own_record_weight"):
        out.append(Reason(feature="own_record", value=r["own_record_weight"],
                          detail=f"own enforcement record (weight {r['own_record_weight']})"))
    return out


def _item(x: Any, default: str) -> Reason:
    """One element of a list of reasons as cover, unit values, HS switches, assessment, the audit
    plan and groups write them: a dict with feature/value/detail (contribution, llr, doc, party,
    evidence), or text."""
    if not isinstance(x, dict):
        return Reason(feature=default, detail=str(x))
    f = str(x.get("feature") or default)
    value = x.get("value")
    contribution = x.get("contribution", x.get("llr"))
    detail = x.get("detail") or ""
    if not detail:
        detail = x.get("doc") or _words(f)
        detail += f": {value}" if value is not None else ""
    ev = tuple(_evidence(e) for e in x.get("evidence") or ()
               if isinstance(e, dict) and e.get("kind") and e.get("id") is not None)
    if x.get("party"):
        ev = (Evidence("party", str(x["party"])), *ev)
    return Reason(feature=f, value=value, contribution=contribution, detail=str(detail), evidence=ev)


def _evidence(e: dict) -> Evidence:
    """A stored `Evidence.as_dict` (profile reasons store theirs: the profile version and the item)."""
    w = e.get("weight")
    return Evidence(kind=str(e["kind"]), id=str(e.get("id")), label=e.get("label"),
                    weight=float(w) if isinstance(w, int | float) else None)


def reasons(stored: Any, default: str = "reason") -> list[Reason]:
    """Any stored explanation (JSON text or parsed) as a list of reasons; [] when there is none."""
    v = loads(stored)
    if not v:
        return []
    if isinstance(v, dict):
        return _risk(v)
    if isinstance(v, list):
        return [_item(x, default) for x in v]
    return [Reason(feature=default, detail=str(v))]


def link_reasons(stored: Any) -> list[Reason]:
    """A group's links (the shared identifiers and officers that hold it together) as reasons."""
    out = []
    for x in loads(stored) or []:
        out.append(Reason(feature="shared_link", value=x.get("shared_by"),
                          detail=f"{x['kind']} {x['value']} (specificity "
                                 f"{x['specificity']}, shared by {x['shared_by']})",
                          evidence=(_ident(x),)))
    return out


# --------------------------------------------------------------------------- whole tables (exports)

def _paged(store: GraphStore, name: str, **params: Any) -> Iterable[dict[str, Any]]:
    for _after, rows in store.pages(name, page=PAGE, **params):
        yield from rows


def entities(store: GraphStore) -> list[dict[str, Any]]:
    """Every scored party, by rank."""
    rows = [{"party_id": p["party_id"], "entity_id": p["entity_id"], "name": p["name"],
             "risk_score": p["risk_score"], "rank": p["risk_rank"], "group_id": p["group_id"],
             "reasons": reasons(p["risk_reasons"])}
            for p in _paged(store, "analytics.export_parties") if p["risk_score"] is not None]
    rows.sort(key=lambda r: (r["rank"] if r["rank"] is not None else 1 << 60, r["party_id"] or ""))
    return rows


def groups(store: GraphStore) -> list[dict[str, Any]]:
    """One row per member of a linked group, riskiest group first."""
    rows = [{"group_id": p["group_id"], "party_id": p["party_id"], "name": p["name"],
             "group_risk": p["group_risk"], "links": link_reasons(p["group_links"])}
            for p in _paged(store, "analytics.export_parties") if p["group_risk"] is not None]
    rows.sort(key=lambda r: (-(r["group_risk"] or 0.0), r["group_id"], r["party_id"]))
    return rows


def resolved_entities(store: GraphStore) -> list[dict[str, Any]]:
    rows = [{"party_id": p["party_id"], "entity_id": p["entity_id"], "confidence": p["entity_confidence"]}
            for p in _paged(store, "analytics.export_parties") if p["entity_id"] is not None]
    rows.sort(key=lambda r: (r["entity_id"], r["party_id"]))
    return rows


def cover_items(store: GraphStore) -> list[dict[str, Any]]:
    rows = [{"declaration_id": d["declaration_id"], "item_no": d["item_no"], "declared_hs": d["declared_hs"],
             "suspected_hs": d["suspected_hs"], "score": d["score"], "reasons": reasons(d["reasons"])}
            for d in _paged(store, "analytics.export_cover_items")]
    rows.sort(key=lambda r: (-(r["score"] or 0.0), r["declaration_id"], r["item_no"] or 0))
    return rows


def unit_value_anomalies(store: GraphStore) -> list[dict[str, Any]]:
    rows = [{"declaration_id": d["declaration_id"], "item_no": d["item_no"], "date": d["date"],
             "hs_code": d["hs_code"], "unit_value": d["unit_value"], "norm_unit_value": d["norm_unit_value"],
             "robust_z": d["robust_z"], "direction": "under" if d["robust_z"] < 0 else "over",
             "duties_at_stake": d["duties_at_stake"], "reasons": reasons(d["reasons"])}
            for d in _paged(store, "analytics.export_unit_value_anomalies")]
    rows.sort(key=lambda r: (-abs(r["robust_z"]), r["declaration_id"], r["item_no"] or 0))
    return rows


def _switch(ev: dict) -> dict[str, Any]:
    return {**ev, "reasons": reasons(ev.get("reasons"))}


def hs_switches(store: GraphStore) -> list[dict[str, Any]]:
    """One row per switch event (the events are stored as a JSON list on their trader's Party node)."""
    rows = [{"party_id": p["party_id"], "name": p["name"], "date": ev.get("date"),
             "from_hs": ev.get("from_hs"),
             "to_hs": ev.get("to_hs"), "n_new": ev.get("n_new"), "n_old_after": ev.get("n_old_after"),
             "duty_rate_before": ev.get("duty_rate_before"), "duty_rate_after": ev.get("duty_rate_after"),
             "score": ev.get("score"), "reasons": reasons(ev.get("reasons"))}
            for p in _paged(store, "analytics.export_hs_switches") for ev in loads(p["hs_switches"]) or []]
    rows.sort(key=lambda r: (-(r["score"] or 0.0), r["party_id"] or "", r["date"] or ""))
    return rows


def last_reported(store: GraphStore, field: str) -> dict[str, Any] | None:
    """The report of the newest of the last 20 scoring runs that reported `field` (a run still in
    progress, or a network-only one, reports it not), or None."""
    for run in store.run("analytics.latest_score_runs", limit=20):
        rep = loads(run["report"]) or {}
        if rep.get(field):
            return rep
    return None


def audit_targets(store: GraphStore, budget: int) -> list[dict[str, Any]]:
    """The first `budget` targets of the audit plan the last full `tamga score` stored in its run report.

    The plan is computed by the pipeline (`graph.declarations.audit_plan.audit_targets`: expected
    duties recovered, with a seeded random share); here the risk picks are taken in rank order and
    the random picks keep their share of the budget, so no whole-graph work runs at read time.
    """
    if budget is None or budget <= 0:
        raise ValueError("audit-targets needs a budget N (how many audits), N >= 1")
    rep = last_reported(store, "audit_plan_rows")
    if rep is None:
        raise NotScoredError()
    plan, share = rep["audit_plan_rows"], float(rep.get("audit_random_share") or 0.0)
    n_random = min(int(budget * share + 1e-9), sum(1 for p in plan if p["pick"] == "random"))
    risk = [p for p in plan if p["pick"] != "random"][: budget - n_random]
    rand = [p for p in plan if p["pick"] == "random"][:n_random]
    rows = [{**p, "reasons": reasons(p.get("reasons"))} for p in risk + rand]
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


# --------------------------------------------------------------------------- one page (API routes)

def party_risk(p: dict[str, Any]) -> dict[str, Any]:
    """The risk part of a party record (an entity card)."""
    return {"key": p["key"], "name": p.get("name"), "risk_score": p.get("risk_score"),
            "risk_rank": p.get("risk_rank"), "reasons": reasons(p.get("risk_reasons")),
            "group_id": p.get("group_id"), "entity_id": p.get("entity_id"), "phoenix_of": p.get("phoenix_of"),
            "phoenix_score": p.get("phoenix_score"),
            "scored_at": str(p["scored_at"]) if p.get("scored_at") is not None else None,
            "risk_provisional": bool(p.get("risk_provisional")),
            "provisional_at": str(p["provisional_at"]) if p.get("provisional_at") is not None else None}


def group_page(store: GraphStore, *, min_risk: float, skip: int,
               limit: int) -> tuple[list[dict[str, Any]], int]:
    rows = store.run("api.groups_page", min_risk=min_risk, skip=skip, limit=limit)
    total = store.run("api.groups_count", min_risk=min_risk)[0]["n"]
    return [{**r, "reasons": reasons(r["reasons"], "group")} for r in rows], total


def group(store: GraphStore, key: str, *, max_members: int | None = None) -> dict[str, Any] | None:
    """A linked group with its reasons and links; with `max_members`, its members too."""
    rows = store.run("api.group_by_key", key=key)
    if not rows:
        return None
    g = rows[0]["group"]
    out = {"key": g["key"], "risk": g.get("risk"), "size": g.get("size"),
           "reasons": reasons(g.get("reasons"), "group")}
    if max_members is not None:
        out["links"] = link_reasons(g.get("links"))
        out["members"] = store.run("api.group_members", key=key, limit=max_members)
    return out


def cover_alerts(store: GraphStore, *, min_score: float, skip: int, limit: int) -> list[dict[str, Any]]:
    rows = store.run("api.cover_alerts", min_score=min_score, skip=skip, limit=limit)
    return [{**r, "reasons": reasons(r.pop("cover_reasons"))} for r in rows]


def unit_value_alerts(store: GraphStore, *, min_abs_z: float, direction: str | None, skip: int,
                      limit: int) -> list[dict[str, Any]]:
    rows = store.run("api.unit_value_alerts", min_abs_z=min_abs_z, direction=direction, skip=skip,
                     limit=limit)
    return [{**r, "direction": "under" if r["robust_z"] < 0 else "over",
             "reasons": reasons(r.pop("uv_reasons"))}
            for r in rows]


def hs_switch_alerts(store: GraphStore, *, min_score: float, skip: int, limit: int) -> list[dict[str, Any]]:
    """One row per party, highest switch score first, with its switches of at least `min_score`."""
    rows = store.run("api.hs_switch_alerts", min_score=min_score, skip=skip, limit=limit)
    return [{**r, "switches": [_switch(s) for s in loads(r.pop("hs_switches")) or []
                               if s["score"] >= min_score]}
            for r in rows]


def lane_counts(store: GraphStore) -> list[dict[str, Any]]:
    return sorted(store.run("api.lane_counts"), key=lambda r: (r["lane"], r["channel"] or ""))


def lane_items(store: GraphStore, *, lane: str, skip: int, limit: int) -> list[dict[str, Any]]:
    rows = store.run("api.lane_items", lane=lane, skip=skip, limit=limit)
    return [{**r, "reasons": reasons(r.pop("assessment_reasons"))} for r in rows]


# ------------------------------------------------------------- alert sources (graph.pipeline.alerts)

def alert_items(store: GraphStore, *, min_cover: float, min_z: float) -> Iterable[dict[str, Any]]:
    """Cover items and unit-value anomalies at or past the thresholds, with the declarant and its group."""
    for d in _paged(store, "cases.source_items", min_cover=min_cover, min_z=min_z):
        yield {**d, "cover_reasons": reasons(d["cover_reasons"]), "uv_reasons": reasons(d["uv_reasons"])}


def alert_parties(store: GraphStore, *, min_risk: float, min_switch: float) -> Iterable[dict[str, Any]]:
    """Parties at or past the entity-risk or HS-switch threshold, with the duties on their items."""
    for p in _paged(store, "cases.source_parties", min_risk=min_risk, min_switch=min_switch):
        yield {**p, "risk_reasons": reasons(p["risk_reasons"]),
               "hs_switches": [_switch(s) for s in loads(p["hs_switches"]) or []
                               if (s.get("score") or 0) >= min_switch]}


def alert_screening_hits(store: GraphStore) -> list[dict[str, Any]]:
    """Screening hits (`SCREENED_AS`) not marked false positive; their features as reasons."""
    out = []
    for h in store.run("cases.source_screening"):
        feats = loads(h["reasons"]) or {}
        rs = [Reason(feature="screening", value=h["score"],
                     detail=f"may be {h['listed_name']} on list {h['list']} (score {h['score']:.2f})",
                     evidence=(Evidence("listed_entity", str(h["listed"]), h["listed_name"]),))]
        for f in feats if isinstance(feats, list) else []:  # graph.network.screening's feature shape
            d = f.get("detail") if isinstance(f, dict) else None
            extra = (", ".join(f"{_words(k)} {v}" for k, v in d.items() if k != "aligned")
                     if isinstance(d, dict) else d)
            rs.append(Reason(feature=str(f.get("feature")), value=f.get("value"),
                             contribution=f.get("contribution"),
                             detail=f"{_words(str(f.get('feature')))} {f.get('value')}"
                             + (f" ({extra})" if extra else ""))
                      if isinstance(f, dict) else Reason(feature="screening", detail=str(f)))
        out.append({**h, "reasons": rs})
    return out


def alert_profile_items(store: GraphStore, keys: list[str] | None = None) -> Iterable[dict[str, Any]]:
    """Items risk profiles fired on (every one, or those in `keys`), their profiles' reasons parsed."""
    rows = _paged(store, "cases.source_profiles") if keys is None else \
        store.run("cases.source_profiles_of", keys=keys)
    for d in rows:
        yield {**d, "reasons": reasons(d["reasons"], "profile")}


# --------------------------------------------------------------------------- screening hits (issue 14)

def _hit(r: dict[str, Any]) -> dict[str, Any]:
    """A stored SCREENED_AS hit as the export and the API show it; the reasons as `Reason`s."""
    feats = loads(r["reasons"]) or []
    why = [Reason(feature=str(f.get("feature")), value=f.get("value"), contribution=f.get("contribution"),
                  detail=_hit_detail(f)) for f in feats if isinstance(f, dict)]
    return {"hit_id": r["hit_id"], "subject": r["subject"], "subject_kind": r["subject_label"],
            "party_id": r["party_id"] or r["person_id"], "name": r["subject_name"], "list": r["list"],
            "listed_key": r["listed"], "listed_entity_id": r["entity_id"], "listed_name": r["listed_name"],
            "listed_schema": r["schema"], "score": r["score"], "state": r["state"], "reasons": why,
            "screened_at": r["screened_at"], "decided_by": r["decided_by"], "decided_at": r["decided_at"]}


def _hit_detail(f: dict[str, Any]) -> str:
    d = f.get("detail") or {}
    k = f.get("feature")
    if k == "name":
        return f"name {d.get('subject_name')!s} ~ {d.get('listed_name')!s} (similarity {f.get('value')})"
    if k == "identifier":
        return f"same {d.get('kind')} number {f.get('value')}"
    if k in ("country", "birth_date"):
        same = (f.get("contribution") or 0) > 0
        return f"{_words(k)} {f.get('value')} {'matches' if same else 'differs from'} {d.get('listed')}"
    return f"{_words(str(k))}: {f.get('value')}"


def screening_hits(store: GraphStore, *, state: str | None = None, subject: str | None = None,
                   skip: int = 0, limit: int = 10_000_000) -> list[dict[str, Any]]:
    """Screening hits, best first (every state, or one; every subject, or one: looked up from its key)."""
    rows = store.run("watchlist.hits_page", state=state, skip=skip, limit=limit) \
        if subject is None else \
        store.run("watchlist.hits_of_subject", state=state, subject=subject, skip=skip, limit=limit)
    return [_hit(r) for r in rows]


def party_screening_hits(store: GraphStore, key: str) -> list[dict[str, Any]]:
    """The hits of one party and of its officers, best first (the card): found from the party's key,
    so the card does not scan every stored hit."""
    return [_hit(r) for r in store.run("watchlist.hits_of_party", key=key)]
