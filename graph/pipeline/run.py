"""The scoring pipeline behind `tamga score`: load frames, run every analysis, write results back.

Steps (each timed in the report):
0. screening - every party and officer against every stored list (graph.pipeline.screening), the
              hits written as SCREENED_AS; the live ones feed the risk's watchlist feature;
1. frames   - `Frames.from_store`: a few key-range paged queries (no per-node Cypher);
2. resolve  - entity resolution (graph.network.resolution), human decisions honoured;
3. project  - integer-id projection over entities and the identifiers/officers/trade linking them;
4. groups   - identifier specificity, entity-entity links, linked groups with group risk;
5. risk     - enforcement seeds, phoenix successors, personalised PageRank, the weighted features,
              ranks and reasons;
6. communities - networkit PLM on the trading network (optional, seeded);
7. declarations - the declaration engineer's analytics on the same frames plus the party risk:
              cover items, assessment model and lanes, then trader categories, risk profiles and the
              random picks (graph.pipeline.selectivity), unit-value anomalies, HS switches, audit plan;
8. write    - results back in client-side batches; Entity and Group nodes of earlier runs replaced,
              so re-runs are idempotent; a ScoreRun node keeps the report. In `score`, the network
              results (steps 2-6) are written on a second thread while step 7 runs.

Where: with a ledger beside the store (`graph.ledger`), `score` runs steps 1-7 in a child process
that reads `Frames.from_ledger` and never opens the store, and writes back here what it hands over
(`graph.pipeline.analytics_process`); without one (a store loaded before the ledger existed), and
when asked (`where="in-process"`), steps 1-7 run here on `Frames.from_store`. Both run the same
`analyse_for_score` and write the same rows (`writeback.network_rows`, `writeback.declaration_rows`).

The write-back is `graph.pipeline.writeback`, the run report `graph.pipeline.report`.
`analyse(frames)` is steps 2-7 as a pure function (tests and the benchmark call it on frames built
in code or read once); `score(store)` is the whole run. (A little over 400 lines: the one place
the steps are ordered, for the pure run, the in-process run and the child's run alike.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from graph.domain.encoding import to_json
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
from graph.pipeline.alerts import raise_alerts
from graph.pipeline.report import peak_rss_mb, report
from graph.pipeline.screening import screen_for_scoring
from graph.pipeline.writeback import audit_plan_rows, write_declaration_results, write_network_results
from graph.settings import Settings, get_settings
from graph.store import GraphStore
from graph.store.frames import Frames


@dataclass(frozen=True)
class AnalyticsSettings:
    resolution: ResolutionSettings = field(default_factory=ResolutionSettings)
    groups: GroupSettings = field(default_factory=GroupSettings)
    phoenix: PhoenixSettings = field(default_factory=PhoenixSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    community_seed: int = 42
    reasons_top: int = 2000  # full evidence paths for the riskiest entities; contributions for all
    # audit targets stored per run; `export audit-targets --budget N` takes the first N
    audit_plan_size: int = 1000
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
    #: the live screening hits this run read (graph.pipeline.screening.live_hits), None without lists
    screening: pd.DataFrame | None = None
    #: the assessment model of this run: reused or trained, when it was trained, why (report "model")
    model: dict[str, Any] = field(default_factory=dict)

    def party_risk(self) -> pd.Series:
        """Party key -> entity risk score (0..1): what the declaration analytics read."""
        p = self.projection
        return pd.Series(self.scores.score[p.party_entity], index=p.party_keys, dtype=float)


class _Timer:
    """Times each step; `on_step(name)`, when given, is called as a step begins (a server's job shows
    its progress and may cancel there)."""

    def __init__(self, timings: dict[str, float], progress: bool,
                 on_step: Callable[[str], None] | None = None):
        self.timings, self.progress, self.on_step = timings, progress, on_step

    def __call__(self, name: str):
        timer = self

        class _Step:
            def __enter__(self):
                if timer.on_step is not None:
                    timer.on_step(name)
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
            model_settings: Settings | None = None, on_step: Callable[[str], None] | None = None,
            screening: pd.DataFrame | None = None) -> Results:
    """Steps 2-7 on frames (pure: no store). Same frames and settings -> the same results.
    `screening`: the parties' live watchlist hits (graph.pipeline.screening.live_hits), for risk."""
    s = settings or AnalyticsSettings()
    timings = {} if timings is None else timings
    step = _Timer(timings, progress, on_step)
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
        ctx = Context(frames, proj, res, seeds, groups, prop, ph, s.risk, screening)
        sc = score_entities(ctx)
    with step("reasons"):
        top = np.argsort(sc.rank)[: s.reasons_top]
        why = reasons(ctx, sc, top)
    community = None
    if communities:
        with step("communities"):
            community = comm.detect(comm.trading_graph(proj), seed=s.community_seed)
    r = Results(frames, res, proj, groups, seeds, ph, sc, why, community, timings=timings, notes=notes,
                screening=screening)
    if declarations:
        _declaration_analytics(r, s, step, model_settings)
    return r


def _declaration_prep(frames: Frames, s: AnalyticsSettings, step: _Timer,
                      model_settings: Settings | None = None, retrain: bool = True) -> dict[str, Any]:
    """The assessment model's training (everything but its lane thresholds), which needs no network
    result: `score` runs it on a second thread beside the network analytics (LightGBM releases the
    GIL). Measured at 1M items: 105.8 s -> 94.0 s, peak RSS 4.70 -> 5.13 GB (the features exist while
    the network steps run). Only the training: the unit-value steps too (pandas, GIL-bound) gave
    91.5 s within the noise, at 5.37 GB.

    With `model_settings` and not `retrain`, the stored model is reused when it is fresh
    (graph.declarations.assessment.reuse) and only the items' features are computed here."""
    from graph.declarations import assessment
    from graph.declarations.assessment import reuse

    out: dict[str, Any] = {}
    if model_settings is not None and not retrain:
        with step("assessment_features"):
            model, why = reuse.stored_model(reuse.model_path(model_settings.data_dir), frames,
                                            max_age_days=model_settings.model_max_age_days,
                                            max_label_growth=model_settings.model_max_label_growth)
            if model is not None:
                try:
                    out["reused"] = (model, reuse.features_for(model, frames))
                except ValueError as e:
                    why = f"{e}: trained anew"
            out["model_note"] = why
        if "reused" in out:
            return out
    elif retrain and model_settings is not None:
        out["model_note"] = "trained (asked to retrain)"
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
                           prep: dict[str, Any] | None = None, profiles: list[Any] | None = None) -> None:
    """The declaration engineer's functions (graph.declarations.cover / declarations / assessment /
    audit) on the same frames, fed with the party risk computed here; `prep` is
    `_declaration_prep`'s output if it ran already; `profiles` the live risk profiles, evaluated
    beside the model (the strictest lane wins)."""
    frames = r.frames
    if frames.declarations.empty:
        return
    party_risk = r.party_risk()
    from graph.declarations import assessment, cover
    from graph.declarations import audit_plan as audit
    from graph.declarations import goods as declarations
    from graph.pipeline import selectivity

    if prep is None:
        prep = _declaration_prep(frames, s, step)
    with step("cover"):
        r.declarations["cover"] = cover.flag_cover_items(frames, party_risk=party_risk)
    with step("unit_values"):
        rz = declarations.robust_z(frames.declarations)  # once: the audit plan's shortfall reads it too
        r.declarations["unit_value_anomalies"] = declarations.unit_value_anomalies(frames, rz=rz)
        r.declarations["hs_switches"] = declarations.hs_switches(frames)
    with step("assessment"):
        model = None
        if "reused" in prep:
            model, X = prep.pop("reused")  # popped, so the features (~0.4 GB at 1M) go before the write-back
            assessment.cut_thresholds(model, party_risk)
            r.model = {"model": "reused", "trained_at": model.trained_at, "note": prep.get("model_note")}
        else:
            trained = prep.pop("trained")
            if isinstance(trained, ValueError):
                r.notes.append(f"assessment model not fitted: {trained}")
            else:
                model, X = assessment.finish(trained, party_risk), trained.X
                r.model = {"model": "trained", "trained_at": model.trained_at, "note": prep.get("model_note")}
            del trained
        if model is not None:
            if model_settings is not None:
                assessment.save_model(model, model_settings)
            r.declarations["assessment"] = assessment.assess_all(
                frames, party_risk, model, cover=r.declarations["cover"], features=X)
            del X
    # categories, the live profiles (the strictest lane wins) and the random picks, with or without a
    # model: without one the profiles still fire (their hits become alerts) and no lane is proposed
    from graph.pipeline.profile_context import profile_hits

    applied = selectivity.after_model(r, profiles, model, model_settings or get_settings(), step)
    r.declarations["profile_hits"] = profile_hits(frames.declarations, applied)
    with step("audit"):
        r.declarations["audit_targets"] = audit.audit_targets(
            frames, party_risk, s.audit_plan_size, random_share=s.audit_random_share,
            assessments=r.declarations.get("assessment"), entity_of=r.resolution.entity_of,
            categories=r.declarations.get("current_categories"), robust=rz)


def analyse_for_score(frames: Frames, a: AnalyticsSettings, s: Settings, *, communities: bool,
                      declarations: bool, progress: bool, timings: dict[str, float],
                      on_network: Callable[[Results], None], profiles: list[Any] | None = None,
                      on_step: Callable[[str], None] | None = None,
                      screening: pd.DataFrame | None = None, retrain: bool = False) -> Results:
    """What `score` runs on its frames, in this process or in the analytics process
    (`graph.pipeline.analytics_process`): the assessment model trains on a second thread beside the
    network analytics (it needs no network result); `on_network(r)` is called once the network
    results exist (to start writing them back while the declaration analytics run), then those run."""
    from concurrent.futures import ThreadPoolExecutor

    step = _Timer(timings, progress, on_step)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamga-declaration-prep") as pool:
        prep = pool.submit(_declaration_prep, frames, a, step, s, retrain) \
            if declarations and not frames.declarations.empty else None
        r = analyse(frames, a, communities=communities, declarations=False, progress=progress,
                    timings=timings, model_settings=s, on_step=on_step, screening=screening)
        prepared = prep.result() if prep is not None else None
    on_network(r)
    if declarations:
        _declaration_analytics(r, a, step, s, prepared, profiles=profiles)
    return r


def _score_in_process(store: GraphStore, s: Settings, a: AnalyticsSettings, *, communities: bool,
                      declarations: bool, progress: bool, scored_at: str,
                      start_run: Callable[[], None], profiles: list[Any] | None = None,
                      on_step: Callable[[str], None] | None = None,
                      screening: pd.DataFrame | None = None,
                      retrain: bool = False) -> tuple[dict, dict, list]:
    """The analytics here, on frames read from the store; returns (report, written, audit plan rows)
    as `analytics_process.score_in_child` does."""
    timings: dict[str, float] = {}
    step = _Timer(timings, progress, on_step)
    with step("frames"):
        frames = Frames.from_store(store)
    from concurrent.futures import ThreadPoolExecutor

    def write_network(r: Results) -> dict:
        t = time.perf_counter()
        out = write_network_results(store, r, batch_size=s.batch_size, scored_at=scored_at)
        timings["write_network"] = round(time.perf_counter() - t, 3)
        if progress:
            print(f"[score] write_network {timings['write_network']:.2f}s "
                  "(alongside the declaration analytics)",
                  file=sys.stderr, flush=True)
        return out

    # the network results go to the store on a second thread while the declaration analytics run on
    # this one: the store's calls release the GIL, and the declaration steps only add to
    # r.declarations, which the network write-back does not read
    with ThreadPoolExecutor(max_workers=1) as pool:
        network_written = []

        def on_network(r: Results) -> None:
            if on_step is not None:
                on_step("write")  # the last point where a cancel leaves the store as it was
            start_run()
            network_written.append(pool.submit(write_network, r))

        r = analyse_for_score(frames, a, s, communities=communities, declarations=declarations,
                              progress=progress, timings=timings, on_network=on_network,
                              profiles=profiles, on_step=on_step, screening=screening, retrain=retrain)
        written = network_written[0].result()
    with step("write_declarations"):
        dec_written = write_declaration_results(store, r, batch_size=s.batch_size)
    written["seconds"].update(dec_written.pop("seconds"))
    written.update(dec_written)
    written["write_back"] = {"mode": "full", "why": "full write: the analytics ran in the store's process "
                                                    "(the delta write-back diffs the child's hand-off files)"}
    rep = report(r)
    plan = audit_plan_rows(r)
    rep["process"] = {"analytics": "in-process", "frames": "store"}
    return rep, written, plan


def score(store: GraphStore, settings: Settings | None = None, *, communities: bool = True,
          progress: bool = True, analytics: AnalyticsSettings | None = None,
          declarations: bool = True, where: str = "auto",
          on_step: Callable[[str], None] | None = None, retrain: bool = False) -> dict:
    """`tamga score`: load, analyse, write back; returns the report (also stored as a ScoreRun).

    `where` the analytics run: "child" in a process of their own that reads the ledger and never
    opens the store (`graph.pipeline.analytics_process`), "in-process" here on frames read from the
    store, "auto" the child when the ledger holds what the store holds (a store loaded before the
    ledger existed is scored here, with a note saying why).

    The stored assessment model is reused while it is fresh (graph.declarations.assessment.reuse;
    `retrain` trains it regardless), and with the analytics in the child only the rows that differ
    from the last run's are written back (graph.pipeline.delta)."""
    from graph.pipeline import analytics_process

    s = settings or get_settings()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    a = analytics or AnalyticsSettings()
    # recorded as running before anything is written back: a killed run leaves a visible trace
    run_key = "score:" + started.strftime("%Y%m%dT%H%M%S.%fZ")
    scored_at = started.isoformat(timespec="seconds")

    def start_run() -> None:
        store.run("analytics.start_score_run", key=run_key, started_at=scored_at)

    from graph.pipeline.profile_store import live

    # every party and officer against every list first (the owner reads the store), so this run's
    # risk reads this run's hits; the live risk profiles likewise, evaluated beside the model
    t_screen = time.perf_counter()
    if on_step is not None:
        on_step("screening")
    screened, hits = screen_for_scoring(store)
    screened["seconds"] = round(time.perf_counter() - t_screen, 3)
    profiles = live(store)
    child, why_here = analytics_process.choose(store, s, where)
    kept = None
    if child:
        def start_child_run() -> None:
            if on_step is not None:
                on_step("write")
            start_run()

        rep, written, plan, kept = analytics_process.score_in_child(
            store, s, a, communities=communities, declarations=declarations, progress=progress,
            scored_at=scored_at, start_run=start_child_run, profiles=profiles, screening=hits,
            on_step=on_step, retrain=retrain)
    else:
        rep, written, plan = _score_in_process(store, s, a, communities=communities,
                                               declarations=declarations,
                                               progress=progress, scored_at=scored_at, start_run=start_run,
                                               profiles=profiles, on_step=on_step, screening=hits,
                                               retrain=retrain)
        if why_here:
            rep["notes"].append(why_here)
    rep["written"] = written
    rep["screening"] = screened
    rep["timings_s"]["screening"] = screened.pop("seconds")
    rep["seconds"] = round(time.perf_counter() - t0, 3)
    rep["peak_rss_mb"] = round(peak_rss_mb(), 1)
    finished = datetime.now(UTC)
    key = run_key
    rep["run"] = key
    stored = {**rep, "audit_plan_rows": plan, "audit_random_share": a.audit_random_share}
    try:
        store.run("analytics.write_score_run", key=key, started_at=scored_at,
                  finished_at=finished.isoformat(timespec="seconds"), report=to_json(stored))
        if kept is not None:  # the next run's delta write-back diffs against it (graph.pipeline.delta)
            kept.commit(s.data_dir, key)
    finally:
        if kept is not None:
            kept.discard()
    rep["alerts"] = raise_alerts(store, s)  # the triage queue: alerts of this run, de-duplicated, into cases
    t = time.perf_counter()
    store.checkpoint()  # fold the WAL into the file now (Grafeo: rewrites it), so a reopen is quick
    rep["checkpoint_s"] = round(time.perf_counter() - t, 3)
    rep["seconds_with_checkpoint"] = round(time.perf_counter() - t0, 3)
    return rep
