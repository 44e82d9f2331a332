"""The daily `tamga score` (issue 10): the stored model reused while fresh, only changed rows written.

On a real Grafeo store with its ledger (the session's seeded world, seed 7, 3,000 declaration rows,
scored once by the `scored_world` fixture): a second score on the same data reuses the model and
writes no row, and every result export is the same as after a full write; a run killed during its
write-back is followed by a full write; a model that is too old, whose labels have grown, or whose
file is corrupt or of an older layout is trained anew, with a note.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from graph.declarations.assessment import reuse
from graph.declarations.assessment.model import AssessmentModel
from graph.ledger import Ledger
from graph.pipeline import delta, export
from graph.pipeline.run import score
from graph.store import open_store
from graph.store.frames import Frames
from graph.store.ledger_frames import StoreState

ROOT = Path(__file__).resolve().parents[3]


def exports(store) -> dict[str, list[dict]]:
    """Every result export of the store (what `tamga export KIND` prints), by kind."""
    return {kind: export.rows(store, kind, budget=100 if kind == "audit-targets" else None)
            for kind in export.KINDS}


def _rows_written(rep: dict) -> int:
    return sum(v for k, v in rep["written"].items() if isinstance(v, int) and k != "provisional_rewritten")


def test_a_rescore_of_unchanged_data_reuses_the_model_writes_nothing_and_exports_the_same(scored_world):
    w = scored_world
    first = exports(w.store)
    again = score(w.store, w.settings, progress=False)
    assert again["model"]["model"] == "reused" and again["model"]["trained_at"]
    assert again["written"]["write_back"]["mode"] == "delta"
    assert _rows_written(again) == 0, again["written"]
    assert "assessment_train" not in again["timings_s"] and "assessment_features" in again["timings_s"]
    after_delta = exports(w.store)
    assert after_delta == first
    delta.forget(w.settings.data_dir)  # the same run written in full
    full = score(w.store, w.settings, progress=False)
    wb = full["written"]["write_back"]
    assert wb["mode"] == "full" and "no hand-off" in wb["why"]
    assert full["written"]["parties"] > 100 and full["written"]["entities"] > 100
    assert exports(w.store) == after_delta
    assert full["lanes"] == again["lanes"]


SCORE_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from graph.settings import Settings
    from graph.store import open_store
    from graph.pipeline.run import score

    s = Settings(env="test", data_dir=Path(sys.argv[1]))
    store = open_store(s)
    batches = store.run_batches

    def traced(name, *args, **kw):
        if name == "analytics.write_parties":
            print("WRITING", flush=True)
        yield from batches(name, *args, **kw)

    store.run_batches = traced  # observe the write-back only; the product's code runs unchanged
    score(store, s, progress=False, retrain=False)
    print("DONE", flush=True)
""")


def test_a_run_killed_during_its_write_back_is_followed_by_a_full_write(scored_world, tmp_path):
    w = scored_world
    score(w.store, w.settings, progress=False)  # a kept hand-off of the store's newest run
    before = exports(w.store)
    # a fresh party record moves the results, so the killed run has rows to write
    w.store.execute("MATCH (p:Party) WITH p ORDER BY p.key LIMIT 1 SET p.risk_score = 0.123456")
    w.store.close()
    try:
        proc = subprocess.Popen([sys.executable, "-c", SCORE_CHILD, str(w.settings.data_dir)], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.stdout is not None
        for line in proc.stdout:
            assert not line.startswith("DONE"), "the run finished before it could be killed"
            if line.startswith("WRITING"):
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=120)
        assert proc.returncode == -signal.SIGKILL
    finally:
        store = open_store(w.settings)
        object.__setattr__(w, "store", store)  # the fixture's store, reopened (it closes it at the end)
    assert store.run("analytics.last_score_run")[0]["status"] == "running"  # the killed run left its trace
    assert (Path(w.settings.data_dir) / delta.SNAPSHOT).exists()  # and the earlier run's hand-off is kept
    rep = score(store, w.settings, progress=False)
    wb = rep["written"]["write_back"]
    assert wb["mode"] == "full" and "running" in wb["why"], wb
    assert exports(store) == before  # the hand-made risk_score is overwritten too: every row was written


def _frames(settings) -> Frames:
    return Frames.from_ledger(Ledger.of(settings), StoreState())


def test_a_stale_grown_or_unreadable_model_is_trained_anew_with_a_note(scored_world, tmp_path):
    w = scored_world
    path = reuse.model_path(w.settings.data_dir)
    frames = _frames(w.settings)
    limits = {"max_age_days": 7.0, "max_label_growth": 0.1}
    m, why = reuse.stored_model(path, frames, **limits)
    assert m is not None and why.startswith("reused"), why
    trained = datetime.fromisoformat(m.trained_at)
    m2, why = reuse.stored_model(path, frames, **limits, now=trained + timedelta(days=8))
    assert m2 is None and "days ago" in why and "TAMGA_MODEL_MAX_AGE_DAYS" in why
    assert reuse.stored_model(path, frames, **limits, now=trained + timedelta(days=6))[0] is not None
    # labels grown: a fifth more inspected items than at training
    d = frames.declarations
    blank = d.index[d["inspection_result"].isna()]
    grown = int(m.label_counts["inspected"] * 0.2) + 1
    d.loc[blank[:grown], "inspection_result"] = "clear"
    m3, why = reuse.stored_model(path, frames, **limits)
    assert m3 is None and "inspected grew" in why, why
    # an older layout and an unreadable file: never used
    old = tmp_path / "old.pkl"
    fields = {k: v for k, v in m.__dict__.items() if not k.startswith("_")}
    AssessmentModel(**{**fields, "version": 1}).save(old)
    m4, why = reuse.stored_model(old, frames, **limits)
    assert m4 is None and "layout version 1" in why
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a model")
    m5, why = reuse.stored_model(bad, frames, **limits)
    assert m5 is None and "could not be read" in why
    foreign = tmp_path / "foreign.pkl"
    foreign.write_bytes(pickle.dumps({"booster_text": "x", "unknown_field": 1}))
    assert reuse.stored_model(foreign, frames, **limits)[0] is None


def test_score_trains_when_asked_when_the_model_is_too_old_or_its_file_is_corrupt(scored_world):
    w = scored_world
    rep = score(w.store, w.settings, progress=False, retrain=True)
    assert rep["model"]["model"] == "trained" and "asked to retrain" in rep["model"]["note"]
    assert "assessment_train" in rep["timings_s"]
    stamp = rep["model"]["trained_at"]
    rep = score(w.store, w.settings.model_copy(update={"model_max_age_days": 0.0}), progress=False)
    assert rep["model"]["model"] == "trained" and "TAMGA_MODEL_MAX_AGE_DAYS" in rep["model"]["note"]
    assert rep["model"]["trained_at"] >= stamp
    path = reuse.model_path(w.settings.data_dir)
    path.write_bytes(b"\x80\x05garbage")
    rep = score(w.store, w.settings, progress=False)
    assert rep["model"]["model"] == "trained" and "could not be read" in rep["model"]["note"]
    assert AssessmentModel.load(path).trained_at  # a good model is stored again
    rep = score(w.store, w.settings, progress=False)
    assert rep["model"]["model"] == "reused"


def test_a_reused_model_scores_every_item_as_its_training_did(scored_world):
    """The features a reused model computes are the training's own (`Trained.X`), value for value."""
    import pandas as pd

    from graph.declarations import assessment

    frames = _frames(scored_world.settings)
    t = assessment.train(frames, max_rows=200_000, max_rounds=600, early_stopping=40)
    m = assessment.finish(t, None)
    X = reuse.features_for(m, frames)
    assert list(X.columns) == list(t.X.columns)
    pd.testing.assert_frame_equal(X.reset_index(drop=True), t.X.reset_index(drop=True))
    now = datetime.now(UTC)
    assert abs(now - datetime.fromisoformat(m.trained_at)) < timedelta(minutes=5)
