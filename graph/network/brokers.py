"""Captured brokers: a customs broker whose other clients are disproportionately offenders or members
of risky linked groups.

Why: a shell ring files through a broker it controls or that works for it, so the broker's clientele
is the ring. A member with no record and few identifiers of its own is then still tied to the scheme
through whom it files with (issue 12: the signal that only the network gives, and that must count
against a weak own record). A busy honest broker serves hundreds of clients, so a few offenders among
them barely move its share; `prior_clients` clean pseudo-clients (RiskSettings.broker_prior_clients)
keep a broker with two clients, one of them with a slip, from looking captured.

The capture a client sees is leave-one-out: the mean suspicion of the broker's *other* clients
(`client_suspicion`: the client's own severity or its linked group's risk, whichever is higher), so a
client's own record never feeds its broker signal, times the share of the client's brokered
declarations that go through that broker, times its tie to that clientele (its strongest shared
identifier or officer with another of the broker's clients). The tie is what separates a ring member
from the honest firm that happens to use the same broker: on the randomised tune worlds the honest
clients of a captured broker took the signal at full strength without it and filled the top K.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from graph.network.groups import Groups, severity
from graph.network.projection import Projection

#: a client this suspicious is named in a captured broker's evidence
SUSPICIOUS = 0.3


def client_suspicion(seeds: np.ndarray, groups: Groups) -> np.ndarray:
    """Per entity 0..1: its own enforcement severity or its linked group's risk, whichever is higher."""
    out = severity(seeds)
    inside = groups.group_of >= 0
    if inside.any() and len(groups.table):
        risk = groups.table["risk"].to_numpy(dtype=float)
        out[inside] = np.maximum(out[inside], risk[groups.group_of[inside]])
    return np.asarray(out)


def broker_capture(proj: Projection, suspicion: np.ndarray, links: pd.DataFrame,
                   prior_clients: float = 2.0) -> pd.DataFrame:
    """Per (client, broker) pair: client, broker (entity indices), declarations, share (of the client's
    brokered declarations), others (the broker's other clients), capture (their summed suspicion over
    others + prior_clients), tie (the client's strongest identifier link, `links` as
    graph.network.groups.link_pairs, to another client of that broker) and value = capture x share x tie."""
    cols = ["client", "broker", "declarations", "share", "others", "capture", "tie", "value"]
    t = proj.trade
    t = t[t["kind"] == "broker"] if len(t) else t
    if t.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    client, broker = t["a"].to_numpy(), t["b"].to_numpy()
    count = t["count"].to_numpy(dtype=float)
    sus = suspicion[client]
    by_broker = pd.Series(sus).groupby(broker)
    total = by_broker.transform("sum").to_numpy()
    n = by_broker.transform("size").to_numpy()
    capture = (total - sus) / (n - 1 + prior_clients)
    share = count / pd.Series(count).groupby(client).transform("sum").to_numpy()
    out = pd.DataFrame({"client": client, "broker": broker, "declarations": count.astype(np.int64),
                        "share": share, "others": n - 1, "capture": capture})
    both = pd.concat([links[["a", "b", "weight"]].set_axis(["x", "y", "weight"], axis=1),
                      links[["b", "a", "weight"]].set_axis(["x", "y", "weight"], axis=1)])
    bc = out[["client", "broker"]]
    m = both.merge(bc, left_on="x", right_on="client").merge(
        bc.rename(columns={"client": "y"}), on=["y", "broker"])
    tie = m.groupby(["x", "broker"])["weight"].max().rename("tie")
    out = out.merge(tie, left_on=["client", "broker"], right_index=True, how="left").fillna({"tie": 0.0})
    return out.assign(value=out["capture"] * out["share"] * out["tie"])[cols]


def broker_evidence(pairs: pd.DataFrame, suspicion: np.ndarray, client: int,
                    who: Callable[[int], dict[str, Any]], top: int = 5) -> dict[str, Any] | None:
    """The reason behind a client's captured-broker value (`pairs` from `broker_capture`): the broker
    it files through with the highest value, its other clients, capture, share, tie and the other
    clients at or above SUSPICIOUS (most suspicious first, `top` of them); None without a signal."""
    mine = pairs[(pairs["client"] == client) & (pairs["value"] > 0)]
    if mine.empty:
        return None
    b = mine.loc[mine["value"].idxmax()]
    broker = int(b["broker"])
    others = pairs.loc[(pairs["broker"] == broker) & (pairs["client"] != client), "client"].to_numpy()
    hits = sorted(((int(e), float(suspicion[e])) for e in others if suspicion[e] >= SUSPICIOUS),
                  key=lambda x: -x[1])
    return {"broker": who(broker), "other_clients": int(b["others"]),
            "capture": round(float(b["capture"]), 3), "share": round(float(b["share"]), 3),
            "tie": round(float(b["tie"]), 3),
            "suspicious_clients": [{**who(e), "suspicion": round(v, 3)} for e, v in hits[:top]]}
