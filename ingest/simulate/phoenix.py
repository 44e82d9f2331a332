"""Phoenix firms: an offender winds up and a fresh successor carries on its trade.

Why a module of its own: the successor has no offences, so only its links to the predecessor give it
away. The predecessor is caught well before it deregisters; the successor registers afterwards in
the same city, shares the predecessor's director and/or its phone, bank account or address (at
least one of them), and trades the same goods with the same suppliers through the same broker.
"""

from __future__ import annotations

from ingest.simulate.knobs import DAYS, day
from ingest.simulate.traders import TraderFactory
from ingest.simulate.world import copy_identifier


def phoenix_firms(f: TraderFactory, rng) -> list[dict]:
    """The `phoenix` pairs: [{"predecessor", "successor" (party numbers), dates, "shared": [kind]}]."""
    w, k = f.w, f.k
    phoenix_truth = []
    for _ph in range(k["phoenix"]):
        cc = w.home_country(rng)
        reg = -int(rng.integers(400, 3000))
        pred = w.domestic(rng, cc, registered=reg)
        d_pred = f.director_for(rng, pred, reg, extra_founder=False)
        dereg = int(rng.integers(300, DAYS - 240))
        w.parties[pred]["deregistered_on"] = day(dereg)
        tp = f.make_trader(rng, pred, "phoenix_pred", start=0, end=dereg - 20,
                           weight=float(rng.lognormal(0.5, 0.4)), min_headers=8, offender=True,
                           noise_ok=False,
                           exports_ok=False)
        sreg = dereg + int(rng.integers(7, 90))
        succ = w.domestic(rng, cc, registered=sreg, city=w.canon[pred]["city"])
        shared = []
        if rng.random() < 0.8:
            w.officer(succ, d_pred, "director", sreg)
            shared.append("director")
        else:
            f.director_for(rng, succ, sreg, extra_founder=False)
        for kd in ("phone", "bank", "address"):
            if rng.random() < 0.5 or (not shared and kd == "address"):
                copy_identifier(w, rng, pred, succ, kd)
                shared.append(kd)
        f.make_trader(rng, succ, "phoenix_succ", start=sreg + int(rng.integers(5, 30)), weight=tp.weight,
                      broker=tp.broker, hs=list(tp.hs), sup=(list(tp.sup), list(tp.routes)), min_headers=6,
                      noise_ok=False, exports_ok=False, first_at_start=True)
        phoenix_truth.append({"predecessor": pred, "successor": succ, "deregistered_on": day(dereg),
                              "successor_registered_on": day(sreg), "shared": shared})
    return phoenix_truth
