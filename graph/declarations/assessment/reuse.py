"""The daily scoring run reuses the stored assessment model instead of training it again (issue 10).

Training (features, the choice of feature set, two LightGBM fits) was the largest step of `tamga
score`, and a model trained yesterday on nearly the same labels is as good as one trained today.
So the run scores with the stored model while it is fresh, and trains when it is not:

- same layout: the file reads, and its `version` is `model.MODEL_VERSION` (the features' definitions
  and the stored fields); a file that does not read or is of another version is trained anew with a
  note, never scored with;
- young enough: trained less than `Settings.model_max_age_days` ago;
- the labels have not grown by more than `Settings.model_max_label_growth` (a share) since: the
  inspected items and the offences counted in the frames (`features.label_counts`, stored with the
  model when it was trained).

The per-item features are still computed for every item (`features_for`, the same frame the
training computes, on the same horizon), and the lane thresholds are cut again on the model's
stored basis with this run's party risk (`model.cut_thresholds`, which says why).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from graph.declarations.assessment.features import label_counts, labels
from graph.declarations.assessment.model import (
    MODEL_FILE,
    MODEL_VERSION,
    AssessmentModel,
    _encode,
    feature_frame,
)


def model_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / "models" / MODEL_FILE


def stored_model(path: Path, frames, *, max_age_days: float, max_label_growth: float,
                 now: datetime | None = None) -> tuple[AssessmentModel | None, str]:
    """(the stored model, why it is reused) when it is fresh for `frames`, else (None, why it is not)."""
    if not path.exists():
        return None, "no stored model: trained"
    try:
        m = AssessmentModel.load(path)
    except Exception as e:  # noqa: BLE001 - any unreadable file is trained anew, said in the report
        return None, f"the stored model {path.name} could not be read ({type(e).__name__}: {e}): trained anew"
    if getattr(m, "version", 0) != MODEL_VERSION or m.lane_basis is None or not m.trained_at:
        return None, (f"the stored model is of layout version {getattr(m, 'version', 0)}, this code's is "
                      f"{MODEL_VERSION}: trained anew")
    now = now or datetime.now(UTC)
    try:
        trained = datetime.fromisoformat(m.trained_at)
    except ValueError:
        return None, f"the stored model's training time {m.trained_at!r} is not a time: trained anew"
    age = now - trained
    if age > timedelta(days=max_age_days):
        return None, (f"the stored model was trained {age.total_seconds() / 86400:.1f} days ago, more than "
                      f"TAMGA_MODEL_MAX_AGE_DAYS={max_age_days:g}: trained anew")
    counts = label_counts(frames)
    for name, n in counts.items():
        before = m.label_counts.get(name)
        if before is None:
            return None, f"the stored model has no count of {name}: trained anew"
        if n > before * (1.0 + max_label_growth):
            return None, (f"{name} grew from {before} to {n} since the model was trained, more than "
                          f"TAMGA_MODEL_MAX_LABEL_GROWTH={max_label_growth:g}: trained anew")
    return m, f"reused the model trained at {m.trained_at}"


def features_for(model: AssessmentModel, frames) -> pd.DataFrame:
    """The encoded features of every item of `frames` in the model's columns: what `train` computes
    for its `Trained.X` (same horizon: the day after the latest item), so the same model on the same
    data scores the same. Raises ValueError when the code no longer makes a column the model needs."""
    d = frames.declarations
    horizon = pd.to_datetime(d["date"]).max() + pd.Timedelta(days=1)
    X, _ = feature_frame(frames, labels(frames), model.prior, model.norms, feature_set=model.feature_set,
                         horizon=horizon,
                         extra_categoricals=model.extra_categoricals)
    missing = [c for c in model.features if c not in X.columns]
    if missing:
        raise ValueError(f"the stored model needs features this code does not make: {', '.join(missing)}")
    return _encode(X[model.features], model.categorical)
