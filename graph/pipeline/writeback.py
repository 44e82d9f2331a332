"""Writing a scoring run's results back to the store: parties' scores, entities, groups, identifier
specificities, and the declaration results (cover items, unit values, HS switches, lanes).

Apart from `run` because it is the one part that speaks to the store, in client-side batches: every
earlier Entity/Group node and flag is replaced, so re-runs are idempotent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from graph.domain import schema
from graph.domain.encoding import to_json
from graph.domain.vocabulary import Lane
from graph.pipeline.profile_context import entity_offender_hops
from graph.store import GraphStore

if TYPE_CHECKING:
    from graph.pipeline.run import Results


#: identifier label -> its generated specificity statement (queries/generated.py names them)
SPECIFICITY_QUERIES = {i.label: f"analytics.write_specificity_{i.party_column}" for i in schema.IDENTIFIERS}


def _drain(store: GraphStore, name: str, batch: int) -> int:
    total = 0
    while True:
        n = store.run(name, limit=batch)
        k = int(n[0]["n"]) if n else 0
        total += k
        if k == 0:
            return total


def _clear(store: GraphStore, drain: str, by_key: str, keys: Iterable[Any] | None, batch: int) -> int:
    """Every earlier row (`drain`, a full write), or only those of `keys` (`by_key`, a delta write)."""
    if keys is None:
        return _drain(store, drain, batch)
    return _consume(store.run_batches(by_key, [{"key": k} for k in keys], batch))


def _consume(it) -> int:
    n = 0
    for res in it:
        n += int(res[0]["n"]) if res and "n" in res[0] else 0
    return n


def party_rows(r: Results, scored_at: str) -> list[dict]:
    p = r.projection
    ent = p.party_entity
    groups = r.groups
    gids = groups.table["group_id"].to_numpy() if len(groups.table) else np.zeros(0, dtype=object)
    ph = r.phoenix.set_index("successor") if len(r.phoenix) else None
    # a party's phoenix predecessor is shown as the predecessor's smallest party key
    # (a Party key, as documented)
    first_party: dict[int, str] = {}
    for k, e in zip(p.party_keys, ent, strict=True):
        if e not in first_party:
            first_party[int(e)] = str(k)
    rows = []
    conf = r.resolution.confidence.to_dict()
    feats = list(r.scores.values.columns)
    vals, contrib = r.scores.values.to_numpy(), r.scores.contributions.to_numpy()
    brief: dict[int, dict] = {}
    hops = entity_offender_hops(r)
    for i, key in enumerate(p.party_keys):
        e = int(ent[i])
        g = int(groups.group_of[e])
        reason = r.reasons.get(e)
        if reason is None:  # outside the top: the per-feature contributions (evidence paths are for the top)
            if e not in brief:
                brief[e] = {"score": round(float(r.scores.score[e]), 4), "rank": int(r.scores.rank[e]),
                            "contributions": sorted(
                                ({"feature": f, "value": round(float(vals[e, j]), 4),
                                  "contribution": round(float(contrib[e, j]), 4)}
                                 for j, f in enumerate(feats) if vals[e, j] > 0),
                                key=lambda c: -c["contribution"])}
            reason = brief[e]
        phoenix_of = phoenix_score = None
        if ph is not None and e in ph.index:
            phoenix_of = first_party.get(int(ph.loc[e, "predecessor"]))
            phoenix_score = float(ph.loc[e, "score"])
        rows.append({
            "key": str(key), "entity_id": str(p.entity_ids[e]),
            "entity_confidence": float(conf.get(key, 1.0)),
            "group_id": str(gids[g]) if g >= 0 else None,
            "community_id": int(r.community[e]) if r.community is not None else None,
            "risk_score": round(float(r.scores.score[e]), 6), "risk_rank": int(r.scores.rank[e]),
            "risk_reasons": to_json(reason), "phoenix_of": phoenix_of, "phoenix_score": phoenix_score,
            "offender_hops": None if np.isnan(hops[e]) else int(hops[e]), "scored_at": scored_at,
        })
    return rows


class _Laps:
    """Seconds per part of a write-back, into `seconds`."""

    def __init__(self, seconds: dict[str, float]):
        self.seconds, self.t = seconds, time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self.t, 2)
        self.t = now


def network_rows(r: Results, scored_at: str) -> dict[str, list[dict]]:
    """The rows `write_network_rows` writes, by part: pure, so the analytics process builds them and
    hands them over as files (`graph.pipeline.handoff`) to the process that owns the store."""
    p = r.projection
    out: dict[str, list[dict]] = {"parties": party_rows(r, scored_at)}
    members = r.resolution.members()
    conf = r.resolution.confidence
    ent_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    for e, parts in sorted(members.items()):
        ent_rows.append({"key": e, "name": r.resolution.names.get(e, ""),
                         "confidence": float(min(conf[k] for k in parts)),
                         "evidence": to_json(r.resolution.evidence.get(e, [])), "size": len(parts)})
        link_rows.extend({"party": k, "entity": e, "confidence": float(conf[k])} for k in sorted(parts))
    out["entities"], out["resolved_to"] = ent_rows, link_rows
    parties_of_entity: dict[int, list[str]] = {}
    for k, e in zip(p.party_keys, p.party_entity, strict=True):
        parties_of_entity.setdefault(int(e), []).append(str(k))
    g_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    for row in r.groups.table.itertuples():
        g_rows.append({"key": row.group_id, "risk": float(row.risk), "size": int(row.size),
                       "links": to_json(row.links), "reasons": to_json(row.reasons)})
        member_rows.extend({"party": k, "group": row.group_id}
                           for m in row.members for k in parties_of_entity.get(int(m), []))
    out["groups"], out["member_of"] = g_rows, member_rows
    for label, rows in identifier_rows(r).items():
        out[f"identifiers.{label}"] = rows
    return out


def write_network_results(store: GraphStore, r: Results, *, batch_size: int = 5000,
                          scored_at: str | None = None) -> dict:
    """Parties' scores, entities, groups and identifier specificities (earlier Entity/Group nodes
    replaced)."""
    scored_at = scored_at or datetime.now(UTC).isoformat(timespec="seconds")
    return write_network_rows(store, network_rows(r, scored_at), batch_size=batch_size)


def write_network_rows(store: GraphStore, rows: Mapping[str, Iterable[dict]], *,
                       batch_size: int = 5000, replaced: Mapping[str, list] | None = None) -> dict:
    """`network_rows`' parts into the store, in batches (earlier Entity/Group nodes replaced). With
    `replaced` (a delta write-back, graph.pipeline.delta), only the entity and group keys it names are
    deleted before the rows (those that changed) are created."""
    out: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    lap = _Laps(seconds)
    out["parties"] = _consume(store.run_batches("analytics.write_parties", rows["parties"], batch_size))

    lap("parties")
    out["entities_deleted"] = _clear(store, "analytics.delete_entities", "analytics.delete_entities_by_key",
                                     None if replaced is None else replaced["entities"], batch_size)
    out["entities"] = _consume(store.run_batches("analytics.write_entities", rows["entities"], batch_size))
    _consume(store.run_batches("analytics.write_resolved_to", rows["resolved_to"], batch_size))

    lap("entities")
    out["groups_deleted"] = _clear(store, "analytics.delete_groups", "analytics.delete_groups_by_key",
                                   None if replaced is None else replaced["groups"], batch_size)
    out["groups"] = _consume(store.run_batches("analytics.write_groups", rows["groups"], batch_size))
    _consume(store.run_batches("analytics.write_member_of", rows["member_of"], batch_size))

    lap("groups")
    out["identifiers"] = 0
    for part, part_rows in rows.items():
        if part.startswith("identifiers."):
            label = part.removeprefix("identifiers.")
            out["identifiers"] += _consume(store.run_batches(SPECIFICITY_QUERIES[label], part_rows,
                                                             batch_size))

    lap("identifiers")
    out["seconds"] = seconds
    return out


def declaration_rows(r: Results) -> dict[str, list[dict]]:
    """The rows `write_declaration_results` writes, by part (pure, like `network_rows`). The keys of
    `present` say which results exist: an absent one leaves its stored flags, an empty one clears them."""
    dec = r.declarations
    out: dict[str, list[dict]] = {"present": [{"part": k} for k in dec]}
    cov = dec.get("cover")
    if cov is not None and len(cov):
        out["cover"] = [{"key": k, "score": float(sc), "suspected_hs": sh, "reasons": to_json(rs)}
                        for k, sc, sh, rs in zip(cov["key"], cov["score"], cov["suspected_hs"],
                                                 cov["reasons"], strict=True)]
    uv = dec.get("unit_value_anomalies")
    if uv is not None and len(uv):
        out["unit_values"] = [
            {"key": k, "z": float(z), "value": float(v), "norm": float(nv), "duties_at_stake": float(dts),
             "reasons": to_json(rs)}
            for k, z, v, nv, dts, rs in zip(uv["key"], uv["robust_z"], uv["unit_value"],
                                            uv["norm_unit_value"], uv["duties_at_stake"], uv["reasons"],
                                            strict=True)]
    sw = dec.get("hs_switches")
    if sw is not None and len(sw):
        out["hs_switches"] = hs_switch_rows(sw)
    ass = dec.get("assessment")
    if ass is not None and len(ass):
        # the yellow and red proposals are stored (with reasons); green is every other item. Writing
        # a lane on each of a million items would cost ~25 s in Grafeo (measured ~40k rows/s) for
        # the one lane nobody acts on; items that were yellow or red before and are green now are cleared.
        flagged = ass[ass["lane"] != Lane.GREEN]
        rnd = flagged["random"] if "random" in flagged else pd.Series(False, index=flagged.index)
        out["assessments"] = [{"key": k, "score": float(sc), "lane": str(ln), "reasons": to_json(rs),
                               "random": bool(rd)}
                              for k, sc, ln, rs, rd in zip(flagged["key"], flagged["assessment_score"],
                                                           flagged["lane"], flagged["assessment_reasons"],
                                                           rnd, strict=True)]
        stored = r.frames.declarations
        stale = stored.loc[stored["lane"].notna() & ~stored["key"].isin(set(flagged["key"])), "key"]
        out["stale_lanes"] = [{"key": k} for k in stale]
    cats = dec.get("trader_categories")
    if cats is not None and len(cats):
        at = datetime.now(UTC).isoformat(timespec="seconds")
        out["trader_categories"] = [
            {"key": f"{e}|{m}", "entity": str(e), "month": str(m), "category": str(c), "score": float(sc),
             "reasons": to_json(rs), "scored_at": at, "through": dec.get("categories_through")}
            for e, m, c, sc, rs in zip(cats["entity"], cats["month"], cats["category"], cats["score"],
                                       cats["reasons"], strict=True)]
    ph = dec.get("profile_hits")
    if ph is not None and len(ph):
        out["profile_hits"] = [{"key": k, "action": a, "profiles": to_json(ids), "reasons": to_json(rs)}
                               for k, a, ids, rs in zip(ph["key"], ph["action"], ph["profiles"],
                                                        ph["reasons"], strict=True)]
    return out


def write_declaration_results(store: GraphStore, r: Results, *, batch_size: int = 5000) -> dict:
    """Cover items, unit-value anomalies, HS switches, the yellow / red proposals and the risk-profile
    hits (earlier ones cleared)."""
    return write_declaration_rows(store, declaration_rows(r), batch_size=batch_size)


def write_declaration_rows(store: GraphStore, rows: Mapping[str, Iterable[dict]], *,
                           batch_size: int = 5000, cleared: Mapping[str, list] | None = None) -> dict:
    """`declaration_rows`' parts into the store, in batches (earlier flags cleared). With `cleared`
    (a delta write-back, graph.pipeline.delta), only the keys it names are cleared, per part."""
    out: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    lap = _Laps(seconds)
    present = {x["part"] for x in rows.get("present", [])}

    def clear(part: str, drain: str, by_key: str) -> int:
        return _clear(store, drain, by_key, None if cleared is None else cleared.get(part, []), batch_size)

    if present:
        # cover flags are few: clear the old ones, then write
        out["cover_cleared"] = clear("cover", "analytics.clear_cover_results", "analytics.clear_cover_items")
        if "assessments" not in rows:
            out["assessments_cleared"] = _drain(store, "analytics.clear_assessment_results", batch_size)
    if "cover" in rows:
        out["cover_items"] = _consume(store.run_batches("analytics.write_cover", rows["cover"], batch_size))
    lap("cover")
    if present:
        # unit-value anomalies (~1% of items) and HS switches (few parties): clear the old ones, then write
        out["unit_values_cleared"] = clear("unit_values", "analytics.clear_unit_value_results",
                                           "analytics.clear_unit_value_items")
        out["hs_switches_cleared"] = clear("hs_switches", "analytics.clear_hs_switch_results",
                                           "analytics.clear_hs_switch_parties")
    if "unit_values" in rows:
        out["unit_value_anomalies"] = _consume(store.run_batches("analytics.write_unit_values",
                                                                 rows["unit_values"], batch_size))
    if "hs_switches" in rows:
        out["hs_switch_parties"] = _consume(store.run_batches("analytics.write_hs_switches",
                                                              rows["hs_switches"], batch_size))
    lap("unit_values")
    if "assessments" in rows:
        out["assessments"] = _consume(store.run_batches("analytics.write_assessment", rows["assessments"],
                                                        batch_size))
        out["assessments_cleared"] = _consume(store.run_batches(
            "analytics.clear_assessment_items", rows.get("stale_lanes", []), batch_size))
    lap("assessments")
    if "trader_categories" in rows:  # append-only: only the months after the stored ones are added
        new = _new_categories(store, rows["trader_categories"])
        out["trader_categories"] = _consume(store.run_batches("analytics.write_trader_categories", new,
                                                              batch_size))
    lap("trader_categories")
    if "profile_hits" in present:  # few items (the selected ones): clear the earlier run's, then write
        out["profile_hits_cleared"] = clear("profile_hits", "analytics.clear_profile_hits",
                                            "analytics.clear_profile_hit_items")
    if "profile_hits" in rows:
        out["profile_hits"] = _consume(store.run_batches("analytics.write_profile_hits", rows["profile_hits"],
                                                         batch_size))
    lap("profile_hits")
    out["seconds"] = seconds
    return out


#: item keys kept per stored HS switch: enough to open the items, n_new says how many there are
SWITCH_KEYS = 20


def hs_switch_rows(sw: pd.DataFrame) -> list[dict]:
    """One row per trading party: its HS switch events as JSON (highest score first) and the highest score.

    The events go on the Party node as text, so the score is stored beside them: Cypher can filter
    and order parties by it without reading the JSON.
    """
    events: dict[str, list[dict]] = {}
    for ev in sw.itertuples(index=False):
        events.setdefault(str(ev.party), []).append({
            "date": pd.Timestamp(ev.date).date().isoformat(), "from_hs": ev.from_hs, "to_hs": ev.to_hs,
            "n_before": int(ev.n_before), "n_new": int(ev.n_new), "n_old_after": int(ev.n_old_after),
            "duty_rate_before": None if pd.isna(ev.duty_rate_before) else float(ev.duty_rate_before),
            "duty_rate_after": None if pd.isna(ev.duty_rate_after) else float(ev.duty_rate_after),
            "score": float(ev.score), "keys": list(ev.keys[:SWITCH_KEYS]), "reasons": ev.reasons})
    rows = []
    for party, evs in events.items():
        evs.sort(key=lambda e: (-e["score"], e["date"], e["to_hs"]))
        rows.append({"key": party, "switches": to_json(evs), "score": evs[0]["score"]})
    return rows


def identifier_rows(r: Results) -> dict[str, list[dict]]:
    """Degree (distinct entities) and specificity per identifier node, by label."""
    p = r.projection
    out: dict[str, list[dict]] = {}
    ln = p.link_nodes
    if len(ln):
        spec = r.groups.specificity
        for label, df in ln.assign(spec=spec).groupby("kind"):
            if label in SPECIFICITY_QUERIES:
                out[label] = [{"key": str(v), "degree": int(d), "specificity": round(float(x), 4)}
                              for v, d, x in zip(df["value"], df["degree"], df["spec"], strict=True)]
    ids = r.frames.identifiers
    tax = ids[ids["label"] == "TaxId"]
    if len(tax):
        pos = pd.Series(np.arange(len(p.party_keys)), index=p.party_keys)
        known = tax[tax["party"].isin(pos.index)]
        ent = p.party_entity[pos.loc[known["party"].to_numpy()].to_numpy()]
        deg = pd.DataFrame({"value": known["value"].to_numpy(), "e": ent}).groupby("value")["e"].nunique()
        # a tax id names one legal entity: full specificity while one entity holds it, shared ones are suspect
        out["TaxId"] = [{"key": str(v), "degree": int(d), "specificity": 1.0 if d <= 1 else round(1.0 / d, 4)}
                        for v, d in deg.items()]
    return out


def audit_plan_rows(r: Results) -> list[dict]:
    """The stored audit plan (graph.declarations.audit_plan.audit_targets for the plan size): what
    the export slices."""
    a = r.declarations.get("audit_targets")
    if a is None or not len(a):
        return []
    names = dict(zip(r.frames.parties["key"].astype(object), r.frames.parties["name"].astype(object),
                     strict=False))
    names.update(r.resolution.names)  # entity id -> display name
    return [{"rank": int(x.rank), "target_id": str(x.target_id), "target_kind": str(x.target_kind),
             "name": names.get(x.target_id), "expected_amount": float(x.expected_amount),
             "risk": float(x.risk),
             "duties_at_stake": float(x.duties_at_stake), "pick": str(x.pick), "reasons": x.reasons}
            for x in a.itertuples()]


def _new_categories(store: GraphStore, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run's category change points less what the store already holds (`categories.new_change_points`):
    read here, by the store's owner, so the child process needs no copy of the history."""
    from graph.declarations import categories
    from graph.pipeline import results

    stored = store.run_frame("risk.trader_categories")
    earlier = results.last_reported(store, "categories_through")  # this run, still running, has none
    through = earlier["categories_through"] if earlier else None
    computed = pd.DataFrame(list(rows))
    known = computed["through"].dropna() if "through" in computed else pd.Series(dtype=object)
    until = str(known.max()) if len(known) else None  # the last month this run categorised
    new = categories.new_change_points(computed, stored, through, until)
    if new.empty:
        return []
    new = new.assign(key=new["entity"].astype(str) + "|" + new["month"].astype(str))
    return new.to_dict("records")
