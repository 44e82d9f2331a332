"""The scoring pipeline behind `tamga score`: load frames, run every analysis, write results back.

Steps (each timed in the report):
1. frames   - `Frames.from_store`: a few key-range paged queries (no per-node Cypher);
2. resolve  - entity resolution (graph.network.resolution), human decisions honoured;
3. project  - integer-id projection over entities and the identifiers/officers/trade linking them;
4. groups   - identifier specificity, entity-entity links, linked groups with group risk;
5. risk     - enforcement seeds, phoenix successors, personalised PageRank, the weighted features,
              ranks and reasons;
6. communities - networkit PLM on the trading network (optional, seeded);
7. declarations - the declaration engineer's analytics on the same frames plus the party risk:
              cover items, assessment model and lanes, unit-value anomalies, HS switches, audit plan;
8. write    - results back in client-side batches; Entity and Group nodes of earlier runs replaced,
              so re-runs are idempotent; a ScoreRun node keeps the report. In `score`, the network
              results (steps 2-6) are written on a second thread while step 7 runs.

`analyse(frames)` is steps 2-7 as a pure function (tests and the benchmark call it on frames built
in code or read once); `score(store)` is the whole run.
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd

from graph.network import communities as comm
from graph.network.groups import Groups, GroupSettings, find_groups, link_pairs, specificity
from graph.network.phoenix import PhoenixSettings, find_phoenix
from graph.network.projection import Projection, project
from graph.network.resolution import Resolution, ResolutionSettings, resolve
from graph.network.risk import (
    Context,
    RiskSettings,
    Scores,
    offence_seeds,
    propagate,
    reasons,
    score_entities,
)
from graph.settings import Settings, get_settings
from graph.store import GraphStore
from graph.store.frames import Frames

SPECIFICITY_QUERIES = {
    "Address": "analytics.write_specificity_address", "Phone": "analytics.write_specificity_phone",
    "Email": "analytics.write_specificity_email", "BankAccount": "analytics.write_specificity_bank_account",
    "TaxId": "analytics.write_specificity_tax_id",
}


@dataclass(frozen=True)
class AnalyticsSettings:
    resolution: ResolutionSettings = field(default_factory=ResolutionSettings)
    groups: GroupSettings = field(default_factory=GroupSettings)
    phoenix: PhoenixSettings = field(default_factory=PhoenixSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    community_seed: int = 42
    reasons_top: int = 2000  # full evidence paths for the riskiest entities; contributions for all
    audit_plan_size: int = 1000  # audit targets stored per run; `export audit-targets --budget N` takes the first N
    audit_random_share: float = 0.1
    # the assessment model's fit budget: the most recent labelled items, boosting rounds, patience
    assessment_max_rows: int = 200_000
    assessment_max_rounds: int = 600
    assessment_early_stopping: int = 40
    # LightGBM training threads: reproducible for a fixed count (deterministic mode); one by default,
    # as two fought the rest of the machine for its 2 cores (measured: 2-4x slower under load)
    assessment_threads: int = 1


@dataclass
class Results:
    frames: Frames
    resolution: Resolution
    projection: Projection
    groups: Groups
    seeds: np.ndarray
    phoenix: pd.DataFrame
    scores: Scores
    reasons: dict[int, dict]
    community: np.ndarray | None
    declarations: dict[str, Any] = field(default_factory=dict)  # cover, assessment, audit outputs
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def party_risk(self) -> pd.Series:
        """Party key -> entity risk score (0..1): what the declaration analytics read."""
        p = self.projection
        return pd.Series(self.scores.score[p.party_entity], index=p.party_keys, dtype=float)


class _Timer:
    def __init__(self, timings: dict[str, float], progress: bool):
        self.timings, self.progress = timings, progress

    def __call__(self, name: str):
        timer = self

        class _Step:
            def __enter__(self):
                self.t = time.perf_counter()
                if timer.progress:
                    print(f"[score] {name} ...", file=sys.stderr, flush=True)

            def __exit__(self, *exc):
                timer.timings[name] = round(time.perf_counter() - self.t, 3)
                if timer.progress:
                    print(f"[score] {name} {timer.timings[name]:.2f}s", file=sys.stderr, flush=True)

        return _Step()


def analyse(frames: Frames, settings: AnalyticsSettings | None = None, *, communities: bool = True,
            declarations: bool = True, progress: bool = False, timings: dict | None = None,
            model_settings: Settings | None = None) -> Results:
    """Steps 2-7 on frames (pure: no store). Same frames and settings -> the same results."""
    s = settings or AnalyticsSettings()
    timings = {} if timings is None else timings
    step = _Timer(timings, progress)
    notes: list[str] = []
    with step("resolve"):
        res = resolve(frames, s.resolution)
    with step("project"):
        proj = project(frames, res)
    with step("groups"):
        seeds = offence_seeds(frames, proj, s.risk)
        spec = specificity(proj, s.groups)
        pairs = link_pairs(proj, spec, s.groups)
        groups = find_groups(proj, seeds, s.groups, spec=spec, pairs=pairs)
    with step("risk"):
        ph = find_phoenix(proj, pairs, spec, seeds, s.phoenix)
        prop = propagate(proj, spec, seeds, s.risk)
        ctx = Context(frames, proj, res, seeds, groups, prop, ph, s.risk)
        sc = score_entities(ctx)
    with step("reasons"):
        top = np.argsort(sc.rank)[: s.reasons_top]
        why = reasons(ctx, sc, top)
    community = None
    if communities:
        with step("communities"):
            community = comm.detect(comm.trading_graph(proj), seed=s.community_seed)
    r = Results(frames, res, proj, groups, seeds, ph, sc, why, community, timings=timings, notes=notes)
    if declarations:
        _declaration_analytics(r, s, step, model_settings)
    return r


def _declaration_prep(frames: Frames, s: AnalyticsSettings, step: _Timer) -> dict[str, Any]:
    """The assessment model's training (everything but its lane thresholds), which needs no network
    result: `score` runs it on a second thread beside the network analytics (LightGBM releases the
    GIL). Measured at 1M items: 105.8 s -> 94.0 s, peak RSS 4.70 -> 5.13 GB (the features exist while
    the network steps run). Only the training: the unit-value steps too (pandas, GIL-bound) gave
    91.5 s within the noise, at 5.37 GB."""
    from graph.declarations import assessment

    out: dict[str, Any] = {}
    with step("assessment_train"):
        try:
            out["trained"] = assessment.train(frames, max_rows=s.assessment_max_rows,
                                              max_rounds=s.assessment_max_rounds,
                                              early_stopping=s.assessment_early_stopping,
                                              params={"num_threads": s.assessment_threads})
        except ValueError as e:  # e.g. no labelled items to learn from: say so, do not invent scores
            out["trained"] = e
    return out


def _declaration_analytics(r: Results, s: AnalyticsSettings, step: _Timer, model_settings: Settings | None,
                           prep: dict[str, Any] | None = None) -> None:
    """The declaration engineer's functions (graph.declarations.cover / declarations / assessment / audit) on the
    same frames, fed with the party risk computed here; `prep` is `_declaration_prep`'s output if it
    ran already."""
    frames = r.frames
    if frames.declarations.empty:
        return
    party_risk = r.party_risk()
    from graph.declarations import assessment, cover
    from graph.declarations import audit_plan as audit
    from graph.declarations import goods as declarations

    if prep is None:
        prep = _declaration_prep(frames, s, step)
    with step("cover"):
        r.declarations["cover"] = cover.flag_cover_items(frames, party_risk=party_risk)
    with step("unit_values"):
        r.declarations["unit_value_anomalies"] = declarations.unit_value_anomalies(frames)
        r.declarations["hs_switches"] = declarations.hs_switches(frames)
    with step("assessment"):
        trained = prep.pop("trained")  # popped, so the features (~0.4 GB at 1M) go before the write-back
        if isinstance(trained, ValueError):
            r.notes.append(f"assessment model not fitted: {trained}")
        else:
            model = assessment.finish(trained, party_risk)
            if model_settings is not None:
                assessment.save_model(model, model_settings)
            r.declarations["assessment"] = assessment.assess_all(frames, party_risk, model,
                                                                 cover=r.declarations["cover"], features=trained.X)
            del trained
    with step("audit"):
        r.declarations["audit_targets"] = audit.audit_targets(
            frames, party_risk, s.audit_plan_size, random_share=s.audit_random_share,
            assessments=r.declarations.get("assessment"), entity_of=r.resolution.entity_of)


# --------------------------------------------------------------------------- writing back

def _json(x: Any) -> str:
    return orjson.dumps(x, option=orjson.OPT_SERIALIZE_NUMPY, default=_default).decode()


def _default(o: Any) -> Any:
    if isinstance(o, (pd.Timestamp, datetime)):
        return o.isoformat()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o).__name__)


def _drain(store: GraphStore, name: str, batch: int) -> int:
    total = 0
    while True:
        n = store.run(name, limit=batch)
        k = int(n[0]["n"]) if n else 0
        total += k
        if k == 0:
            return total


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
    # a party's phoenix predecessor is shown as the predecessor's smallest party key (a Party key, as documented)
    first_party: dict[int, str] = {}
    for k, e in zip(p.party_keys, ent):
        if e not in first_party:
            first_party[int(e)] = str(k)
    rows = []
    conf = r.resolution.confidence.to_dict()
    feats = list(r.scores.values.columns)
    vals, contrib = r.scores.values.to_numpy(), r.scores.contributions.to_numpy()
    brief: dict[int, dict] = {}
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
            "key": str(key), "entity_id": str(p.entity_ids[e]), "entity_confidence": float(conf.get(key, 1.0)),
            "group_id": str(gids[g]) if g >= 0 else None,
            "community_id": int(r.community[e]) if r.community is not None else None,
            "risk_score": round(float(r.scores.score[e]), 6), "risk_rank": int(r.scores.rank[e]),
            "risk_reasons": _json(reason), "phoenix_of": phoenix_of, "phoenix_score": phoenix_score,
            "scored_at": scored_at,
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


def write_network_results(store: GraphStore, r: Results, *, batch_size: int = 5000,
                          scored_at: str | None = None) -> dict:
    """Parties' scores, entities, groups and identifier specificities (earlier Entity/Group nodes replaced)."""
    scored_at = scored_at or datetime.now(UTC).isoformat(timespec="seconds")
    p = r.projection
    out: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    lap = _Laps(seconds)
    out["parties"] = _consume(store.run_batches("analytics.write_parties", party_rows(r, scored_at), batch_size))

    lap("parties")
    out["entities_deleted"] = _drain(store, "analytics.delete_entities", batch_size)
    members = r.resolution.members()
    conf = r.resolution.confidence
    ent_rows, link_rows = [], []
    for e, parts in sorted(members.items()):
        ent_rows.append({"key": e, "name": r.resolution.names.get(e, ""),
                         "confidence": float(min(conf[k] for k in parts)),
                         "evidence": _json(r.resolution.evidence.get(e, [])), "size": len(parts)})
        link_rows.extend({"party": k, "entity": e, "confidence": float(conf[k])} for k in sorted(parts))
    out["entities"] = len(ent_rows)
    _consume(store.run_batches("analytics.write_entities", ent_rows, batch_size))
    _consume(store.run_batches("analytics.write_resolved_to", link_rows, batch_size))

    lap("entities")
    out["groups_deleted"] = _drain(store, "analytics.delete_groups", batch_size)
    parties_of_entity: dict[int, list[str]] = {}
    for k, e in zip(p.party_keys, p.party_entity):
        parties_of_entity.setdefault(int(e), []).append(str(k))
    g_rows, member_rows = [], []
    for row in r.groups.table.itertuples():
        g_rows.append({"key": row.group_id, "risk": float(row.risk), "size": int(row.size),
                       "links": _json(row.links), "reasons": _json(row.reasons)})
        member_rows.extend({"party": k, "group": row.group_id}
                           for m in row.members for k in parties_of_entity.get(int(m), []))
    out["groups"] = len(g_rows)
    _consume(store.run_batches("analytics.write_groups", g_rows, batch_size))
    _consume(store.run_batches("analytics.write_member_of", member_rows, batch_size))

    lap("groups")
    out["identifiers"] = 0
    for label, rows in identifier_rows(r).items():
        out["identifiers"] += _consume(store.run_batches(SPECIFICITY_QUERIES[label], rows, batch_size))

    lap("identifiers")
    out["seconds"] = seconds
    return out


def write_declaration_results(store: GraphStore, r: Results, *, batch_size: int = 5000) -> dict:
    """Cover items, unit-value anomalies, HS switches and the yellow / red proposals (earlier ones cleared)."""
    out: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    lap = _Laps(seconds)
    dec = r.declarations
    if dec:
        # cover flags are few: clear the old ones, then write
        out["cover_cleared"] = _drain(store, "analytics.clear_cover_results", batch_size)
        if dec.get("assessment") is None or not len(dec["assessment"]):
            out["assessments_cleared"] = _drain(store, "analytics.clear_assessment_results", batch_size)
    cov = dec.get("cover")
    if cov is not None and len(cov):
        rows = [{"key": k, "score": float(sc), "suspected_hs": sh, "reasons": _json(rs)}
                for k, sc, sh, rs in zip(cov["key"], cov["score"], cov["suspected_hs"], cov["reasons"])]
        out["cover_items"] = _consume(store.run_batches("analytics.write_cover", rows, batch_size))
    lap("cover")
    if dec:
        # unit-value anomalies (~1% of items) and HS switches (few parties): clear the old ones, then write
        out["unit_values_cleared"] = _drain(store, "analytics.clear_unit_value_results", batch_size)
        out["hs_switches_cleared"] = _drain(store, "analytics.clear_hs_switch_results", batch_size)
    uv = dec.get("unit_value_anomalies")
    if uv is not None and len(uv):
        rows = [{"key": k, "z": float(z), "value": float(v), "norm": float(nv), "duties_at_stake": float(dts),
                 "reasons": _json(rs)}
                for k, z, v, nv, dts, rs in zip(uv["key"], uv["robust_z"], uv["unit_value"], uv["norm_unit_value"],
                                                uv["duties_at_stake"], uv["reasons"])]
        out["unit_value_anomalies"] = _consume(store.run_batches("analytics.write_unit_values", rows, batch_size))
    sw = dec.get("hs_switches")
    if sw is not None and len(sw):
        out["hs_switch_parties"] = _consume(store.run_batches("analytics.write_hs_switches", hs_switch_rows(sw),
                                                              batch_size))
    lap("unit_values")
    ass = dec.get("assessment")
    if ass is not None and len(ass):
        # the yellow and red proposals are stored (with reasons); green is every other item. Writing
        # a lane on each of a million items would cost ~25 s in Grafeo (measured ~40k rows/s) for
        # the one lane nobody acts on; items that were yellow or red before and are green now are cleared.
        flagged = ass[ass["lane"] != "green"]
        rows = ({"key": k, "score": float(sc), "lane": ln, "reasons": _json(rs)}
                for k, sc, ln, rs in zip(flagged["key"], flagged["assessment_score"], flagged["lane"],
                                         flagged["assessment_reasons"]))
        out["assessments"] = _consume(store.run_batches("analytics.write_assessment", rows, batch_size))
        stored = r.frames.declarations
        stale = stored.loc[stored["lane"].notna() & ~stored["key"].isin(set(flagged["key"])), "key"]
        out["assessments_cleared"] = _consume(store.run_batches(
            "analytics.clear_assessment_items", ({"key": k} for k in stale), batch_size))
    lap("assessments")
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
        rows.append({"key": party, "switches": _json(evs), "score": evs[0]["score"]})
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
                              for v, d, x in zip(df["value"], df["degree"], df["spec"])]
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


# --------------------------------------------------------------------------- the report

def report(r: Results) -> dict:
    """Figures of one run: sizes, timings, top entities and groups (what the ScoreRun keeps)."""
    p, sc = r.projection, r.scores
    top = np.argsort(sc.rank)[:20]
    g = r.groups.table
    rep = {
        "frames": r.frames.summary(),
        "parties": len(p.party_keys), "entities": int(p.n_entities),
        "merged_parties": int(len(p.party_keys) - p.n_entities),
        "link_nodes": int(p.n_links), "entity_links": len(r.groups.pairs),
        "groups": len(g), "grouped_entities": int((r.groups.group_of >= 0).sum()),
        "offender_entities": int((r.seeds > 0).sum()), "phoenix_candidates": len(r.phoenix),
        "communities": int(r.community.max() + 1) if r.community is not None and len(r.community) else None,
        "top_entities": [{"entity_id": str(p.entity_ids[e]), "name": str(p.entities["name"].iloc[e] or ""),
                          "risk_score": round(float(sc.score[e]), 4)} for e in top],
        "top_groups": ([{"group_id": row.group_id, "size": int(row.size), "risk": float(row.risk)}
                        for row in g.sort_values(["risk", "size"], ascending=False).head(10).itertuples()]
                       if len(g) else []),
        "timings_s": dict(r.timings), "notes": list(r.notes),
    }
    d = r.declarations
    if "cover" in d:
        rep["cover_items"] = len(d["cover"])
    if "assessment" in d:
        rep["lanes"] = {k: int(v) for k, v in d["assessment"]["lane"].value_counts().items()}
    if "unit_value_anomalies" in d:
        rep["unit_value_anomalies"] = len(d["unit_value_anomalies"])
    if "hs_switches" in d:
        rep["hs_switches"] = len(d["hs_switches"])
    if "audit_targets" in d and len(d["audit_targets"]):
        a = d["audit_targets"]
        rep["audit_plan"] = {"targets": len(a), "expected_amount": round(float(a["expected_amount"].sum()), 2)}
    return rep


def audit_plan_rows(r: Results) -> list[dict]:
    """The stored audit plan (graph.declarations.audit_plan.audit_targets for the plan size): what the export slices."""
    a = r.declarations.get("audit_targets")
    if a is None or not len(a):
        return []
    names = dict(zip(r.frames.parties["key"].astype(object), r.frames.parties["name"].astype(object), strict=False))
    names.update(r.resolution.names)  # entity id -> display name
    return [{"rank": int(x.rank), "target_id": str(x.target_id), "target_kind": str(x.target_kind),
             "name": names.get(x.target_id), "expected_amount": float(x.expected_amount), "risk": float(x.risk),
             "duties_at_stake": float(x.duties_at_stake), "pick": str(x.pick), "reasons": x.reasons}
            for x in a.itertuples()]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def score(store: GraphStore, settings: Settings | None = None, *, communities: bool = True,
          progress: bool = True, analytics: AnalyticsSettings | None = None,
          declarations: bool = True) -> dict:
    """`tamga score`: load, analyse, write back; returns the report (also stored as a ScoreRun)."""
    s = settings or get_settings()
    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    step = _Timer(timings, progress)
    t0 = time.perf_counter()
    a = analytics or AnalyticsSettings()
    with step("frames"):
        frames = Frames.from_store(store)
    from concurrent.futures import ThreadPoolExecutor

    # the assessment model trains (it needs no network result) beside the network analytics
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamga-declaration-prep") as pool:
        prep = pool.submit(_declaration_prep, frames, a, step) \
            if declarations and not frames.declarations.empty else None
        r = analyse(frames, a, communities=communities, declarations=False, progress=progress,
                    timings=timings, model_settings=s)
        prepared = prep.result() if prep is not None else None

    # recorded as running before anything is written back: a killed run leaves a visible trace
    run_key = "score:" + started.strftime("%Y%m%dT%H%M%S.%fZ")
    store.run("analytics.start_score_run", key=run_key, started_at=started.isoformat(timespec="seconds"))

    def write_network() -> dict:
        t = time.perf_counter()
        out = write_network_results(store, r, batch_size=s.batch_size, scored_at=started.isoformat(timespec="seconds"))
        timings["write_network"] = round(time.perf_counter() - t, 3)
        if progress:
            print(f"[score] write_network {timings['write_network']:.2f}s (alongside the declaration analytics)",
                  file=sys.stderr, flush=True)
        return out

    # the network results go to the store on a second thread while the declaration analytics run on
    # this one: the store's calls release the GIL, and the declaration steps only add to
    # r.declarations, which the network write-back does not read
    with ThreadPoolExecutor(max_workers=1) as pool:
        network_written = pool.submit(write_network)
        if declarations:
            _declaration_analytics(r, a, step, s, prepared)
        written = network_written.result()
    with step("write_declarations"):
        dec_written = write_declaration_results(store, r, batch_size=s.batch_size)
    written["seconds"].update(dec_written.pop("seconds"))
    written.update(dec_written)
    rep = report(r)
    rep["written"] = written
    rep["seconds"] = round(time.perf_counter() - t0, 3)
    rep["peak_rss_mb"] = round(peak_rss_mb(), 1)
    finished = datetime.now(UTC)
    key = run_key
    rep["run"] = key
    stored = {**rep, "audit_plan_rows": audit_plan_rows(r),
              "audit_random_share": a.audit_random_share}
    store.run("analytics.write_score_run", key=key, started_at=started.isoformat(timespec="seconds"),
              finished_at=finished.isoformat(timespec="seconds"), report=_json(stored))
    t = time.perf_counter()
    store.checkpoint()  # fold the WAL into the file now (Grafeo: rewrites it), so a reopen is quick
    rep["checkpoint_s"] = round(time.perf_counter() - t, 3)
    rep["seconds_with_checkpoint"] = round(time.perf_counter() - t0, 3)
    return rep
