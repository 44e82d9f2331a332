"""Sanity of the evaluations (the figures themselves are reported by bench/eval_*.py).

Detectors are checked on hand-made graphs (they must find what was planted and nothing else),
then on the outside data where present (skipped with the reason otherwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import dataset

from bench.evaluations.patterns import (
    burst_edges,
    cycle_accounts,
    evaluate_amlsim,
    evaluate_kek,
    fan_in_accounts,
    oversubscribed,
    ownership_loops,
)


def _background(seed=0, n=300, m=3000):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"src": rng.integers(0, n, m), "dst": rng.integers(0, n, m),
                         "amount": rng.uniform(100, 600, m).round(2), "time": rng.integers(0, 100, m)})


def test_planted_cycle_and_fan_in_found_in_noise():
    bg = _background()
    bg = bg[bg["src"] != bg["dst"]]
    # a cycle passing the same sum round: 1000 -> 1001 -> 1002 -> 1000
    cyc = pd.DataFrame({"src": [1000, 1001, 1002], "dst": [1001, 1002, 1000], "amount": [77.7, 77.6, 77.5],
                        "time": [10, 12, 15]})
    # a fan-in: three sources each sending small bursts to 2000 on one step
    fan = pd.DataFrame({"src": [2001, 2001, 2002, 2002, 2003, 2003], "dst": [2000] * 6,
                        "amount": [4.1, 3.9, 4.3, 3.7, 4.0, 4.2], "time": [30, 30, 41, 41, 52, 52]})
    tx = pd.concat([bg, cyc, fan], ignore_index=True)
    c = cycle_accounts(tx, width=0.002)
    assert {1000, 1001, 1002} <= set(c["account"])
    assert len(set(c["account"]) - {1000, 1001, 1002}) <= 3  # background cycles with equal sums are rare
    f = fan_in_accounts(tx)
    assert set(f["account"]) == {2000, 2001, 2002, 2003}
    assert f.set_index("account").loc[2000, "role"] == "target"
    assert len(burst_edges(tx)) == 3 + int((bg.groupby(["src", "dst", "time"]).size() >= 2).sum())


def test_ownership_loops_and_oversubscription():
    e = pd.DataFrame({"owner": [1, 2, 3, 4, 5, 6, 7, 8, 9], "owned": [2, 3, 1, 5, 4, 7, 7, 9, 10],
                      "share": [50, 50, 50, 60, 60, 10, 20, 70.4, 100.4]})
    assert ownership_loops(e) == [[1, 2, 3], [4, 5], [7]]
    extra = pd.DataFrame({"owner": [11, 12], "owned": [10, 10], "share": [0.1, 0.1]})
    over = oversubscribed(pd.concat([e, extra]))
    assert over["owned"].tolist() == [10] and over["total_share"].iat[0] == pytest.approx(100.6)
    assert oversubscribed(pd.concat([e, extra.head(1)])).empty  # 100.5 is within the tolerance


def test_kek_register_loops_and_oversubscribed():
    folder = dataset("kek", "shares.csv").parent
    r = evaluate_kek(folder)
    assert (r["weak_groups"], r["largest_group"]) == (178, 1610)
    assert r["loop_sizes"] == [3, 2, 2, 1]
    assert len(r["oversubscribed"]) == 5 and all(x["total_share"] > 100.5 for x in r["oversubscribed"])


@pytest.mark.slow
@pytest.mark.parametrize("sample,detector", [("20K_cycle200", "cycle"), ("20K_fanin200", "fan_in")])
def test_amlsim_detectors_precise(sample, detector):
    folder = dataset("amlsim", sample, "nodes.csv").parent
    r = evaluate_amlsim(folder)
    assert r[detector]["precision"] >= 0.9 and r[detector]["true_positives"] >= 100


def test_kcs_mapping_onto_the_contract():
    from bench.evaluations.kcs import load_kcs

    folder = dataset("kcs", "df_syn_train_eng.csv").parent
    frames, split = load_kcs(folder)
    d = frames.declarations
    assert split.value_counts().to_dict() == {"train": 37385, "test": 8481, "valid": 8134}
    assert (d["hs_code"].str.len() == 6).all() and "071080" in set(d["hs_code"])
    assert (d["inspection_result"] == "violation").sum() == 11653
    assert d["declarant"].str.startswith("kcs:").all() and d["carrier"].notna().sum() == 9538
    # the splits are in time order: fit on the past only
    assert d.loc[split == "train", "date"].max() < d.loc[split == "valid", "date"].min()
    assert d.loc[split == "valid", "date"].max() < d.loc[split == "test", "date"].min()


def test_kcs_metrics_at_inspection_rates():
    from bench.evaluations.kcs import _best_threshold, _metrics

    y = np.array([1] * 10 + [0] * 90)
    s = np.r_[np.linspace(1, 0.9, 10), np.linspace(0.5, 0, 90)]
    m = _metrics(y, s, 0.8)
    assert m["precision@1%"] == 1.0 and m["recall@10%"] == 1.0 and m["precision@10%"] == 1.0
    assert m["macro_f1"] == 1.0 and m["auc"] == 1.0
    assert 0.5 <= _best_threshold(y, s) <= 0.9
