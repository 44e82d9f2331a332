"""Declaration assessment: one risk score per declaration item, its lane and its reasons.

The score is a LightGBM model (seeded, deterministic, one or two threads) on three groups of
features, every label-based one computed only from labels known *before* the item's date:

- own: value, mass, value/kg and its robust z against the HS code's norm (norms from the fit
  period only), duty rate, codes, countries, transport mode, declarant age, whether the HS code is
  new for the trader, and the past hit rate of the HS code, heading, origin and route;
- party: the past hit rate and experience of the declarant, consignee, consignor, carrier and
  broker (target encoding in time order: each item sees only earlier outcomes);
- network: risk propagated from past violations through shared parties (two hops over the
  party co-occurrence graph of earlier declarations, monthly snapshots) and the parties' degrees.

Two signals are added after the model, as a noisy-OR, not as features: the parties' stored network
risk (`Party.risk_score`, computed by the pipeline from all offences, so as a training feature it
would leak the training labels) and the cover-item score (learnt from offences likewise).

Labels: an item is a hit if its inspection found a violation or an offence names its
declaration; clear if inspected and clean; unlabelled otherwise. The label is known at the later
of the item's date and the offence's date.

A package because the one module had grown to ~950 lines doing five jobs: `features` (the columns),
`network` (the time-respecting party graph features), `model` (feature frame, training), `lanes`
(thresholds), `reuse` (the stored model in the daily run),
`explain` (contributions and reasons), `scoring` (all items in a batch, one posted item).
`from graph.declarations import assessment` gives the names the pipeline, the API, the benchmarks
and the tests use.
"""

from __future__ import annotations

from graph.declarations.assessment.explain import FEATURE_DOCS, NUM_THREADS, contributions, path_table
from graph.declarations.assessment.features import (
                                                     OWN_GROUPS,
                                                     SMOOTH,
                                                     _base,
                                                     _past_counts,
                                                     history_features,
                                                     labels,
                                                     novelty_features,
                                                     novelty_values,
                                                     own_features,
                                                     value_features,
)
from graph.declarations.assessment.lanes import cut_lanes, cut_thresholds, lane_thresholds
from graph.declarations.assessment.model import (
                                                     COVER_WEIGHT,
                                                     LGB_PARAMS,
                                                     MODEL_FILE,
                                                     NETWORK_WEIGHT,
                                                     SEED,
                                                     AssessmentModel,
                                                     Trained,
                                                     _encode,
                                                     _train,
                                                     feature_columns,
                                                     feature_frame,
                                                     finish,
                                                     fit,
                                                     save_model,
                                                     train,
)
from graph.declarations.assessment.network import neighbour_mean, network_features, network_snapshot
from graph.declarations.assessment.scoring import Assessor, _row_vector, assess_all, party_network
from graph.declarations.goods import hs_norms

__all__ = [
    "COVER_WEIGHT", "FEATURE_DOCS", "LGB_PARAMS", "MODEL_FILE", "NETWORK_WEIGHT", "NUM_THREADS", "OWN_GROUPS",
    "SEED", "SMOOTH", "AssessmentModel", "Assessor", "Trained", "_base", "_encode", "_past_counts",
    "_row_vector", "_train", "assess_all", "contributions", "cut_lanes", "cut_thresholds",
    "feature_columns", "feature_frame",
    "finish", "fit",
    "history_features", "hs_norms", "labels", "lane_thresholds", "neighbour_mean", "network_features",
    "network_snapshot", "novelty_features", "novelty_values", "own_features", "party_network", "path_table",
    "save_model", "train", "value_features",
]
