"""The matcher's measurement: the metrics on hand-made scores, then the outside name sets where present."""

from __future__ import annotations

import numpy as np
from conftest import dataset

from bench.evaluations import names
from graph.network import screening


def test_metrics_count_positives_the_scores_never_saw():
    s = np.array([0.9, 0.8, 0.7, 0.2])
    y = np.array([True, False, True, False])
    assert names.metrics_at(s, y, 0.75) == {"threshold": 0.75, "precision": 0.5, "recall": 0.5, "f1": 0.5,
                                            "tp": 1, "fp": 1, "fn": 1}
    # two positives blocking never proposed: recall over all four
    assert names.metrics_at(s, y, 0.7, positives=4)["recall"] == 0.5
    assert names.best_f1_threshold(s, y) == 0.7
    assert names.recall_at_precision(s, y, 0.95) == names.metrics_at(s, y, 0.9)


def test_the_shipped_threshold_is_the_one_chosen_on_the_bench_cases():
    res = names.evaluate_bench_cases(dataset("ftm", "name_bench_cases.csv"))
    assert res["pairs"] == 826
    assert abs(res["best_f1_threshold"] - screening.THRESHOLD) < 0.01
    assert res["at_shipped_threshold"]["f1"] > 0.78


def test_the_un_names_are_found_as_a_list_screening():
    res = names.evaluate_un(dataset("ftm", "yente_cgb_positives_un_treated.csv"),
                            dataset("ftm", "yente_cgb_positives_un_untreated.csv"), screening.THRESHOLD)
    assert res["names"] == 683 and res["names_only"]["true_rows_proposed"] >= 670
    assert res["names_only"]["at_threshold"]["recall"] > 0.95
    assert res["with_country_and_birth_year"]["at_threshold"]["precision"] > \
        res["names_only"]["at_threshold"]["precision"]
