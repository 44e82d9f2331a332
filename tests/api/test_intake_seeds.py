"""The provisional seeds (`api.services.intake.seeds_of`) follow the full run's rule
(`graph.network.risk.offence_seeds`) on a real scored store: a violation whose declaration carries an
offence record is weighed once, as that offence, for parties with and without such violations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.domain.vocabulary import liable_party


def test_provisional_seeds_equal_the_full_runs_on_each_party(scored_world):
    from types import SimpleNamespace

    from api.services.intake import seeds_of
    from graph.network.risk import RiskSettings, offence_seeds
    from graph.store.frames import Frames

    store = scored_world.store
    f = Frames.from_store(store)
    d = f.declarations
    viol = d[d["inspection_result"] == "violation"]
    recorded = viol[viol["declaration_key"].isin(f.offences["declaration_key"].dropna())]
    assert len(recorded), "the world has no violation with an offence record to test the rule on"
    liable = liable_party(d["consignee"], d["declarant"])
    with_recorded = sorted(set(liable_party(recorded["consignee"], recorded["declarant"]).dropna()))[:5]
    plain = sorted(set(liable[d["inspection_result"] == "violation"].dropna()) - set(with_recorded))[:5]
    keys = with_recorded + plain
    ref, s = pd.Timestamp("2026-01-01"), RiskSettings()
    got = seeds_of(store, keys, ref, s)
    for k in keys:  # the full run's rule over this party alone, its own entity
        mine = liable == k
        one = SimpleNamespace(offences=f.offences[f.offences["party"] == k],
                              declarations=d[mine], decisions=f.decisions.iloc[0:0])
        proj = SimpleNamespace(n_entities=1, party_keys=np.array([k], dtype=object),
                               party_entity=np.zeros(1, dtype=int), reference_date=ref)
        want = float(offence_seeds(one, proj, s)[0])
        assert abs(got[k] - want) < 1e-9, (k, got[k], want)
