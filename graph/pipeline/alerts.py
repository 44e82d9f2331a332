"""Alerts and the cases they open, raised after each scoring run (`raise_alerts`).

Every signal Tamga stores becomes an `Alert` record: a cover item, a unit-value anomaly, an HS
switch, a screening hit (a `SCREENED_AS` relationship not marked false positive), a risk-profile hit
and an entity risk at or above `Settings.alert_risk_threshold`. An alert is de-duplicated against
the open alerts of the same subject and kind: a later run that raises it again refreshes the open
one (score, expected duties, reasons, last seen, runs) instead of adding another, so the queue does
not grow with each run. Once its case is closed the alert is closed too, and a run that finds the
signal again opens a fresh alert in a fresh case: the decision taken reaches that run as its label
(see api/routes/cases.py).

Cases group the alerts of one subject: the party's linked group when it has one (group_id from
the stored results), else the party (the declarant of an item alert), else the screened person.
A case's priority is the expected duties at stake over its alerts: for an item, the cover score
times its duties, or the undervaluation shortfall; for a party, the alert's score times the duties
on the items it declared.

Stored results are read through `graph.pipeline.results`, the one reader of them.

Profile hits: the scoring run stores, on each item a risk profile fired on, the profiles' reasons
and the strictest of their actions (`Declaration.profile_hits`, `profile_action`); `_profiles` makes
one alert per such item, weighted by that action. `POST /assess?store=true` raises the posted item's
through `raise_profile_alerts`, the same source restricted to that item.

Extension point: a new signal is a reader in `graph.pipeline.results` and a source in `SOURCES`
yielding the alert dict of `_alert`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from graph.domain.encoding import to_json
from graph.pipeline import results
from graph.pipeline.profile_context import ACTION_WEIGHT
from graph.settings import Settings, get_settings
from graph.store import GraphStore

KINDS = ("cover_item", "unit_value", "hs_switch", "profile", "screening", "entity_risk")
# the thresholds the alert lists of the API default to (api/routes/groups.py)
COVER_MIN = 0.5
UNIT_VALUE_MIN_Z = 3.5
HS_SWITCH_MIN = 0.5
TOP_REASONS = 8


def _alert(kind: str, subject: str, party: str | None, name: str | None, group: str | None, score: float,
           expected: float, reasons: list) -> dict[str, Any]:
    return {"kind": kind, "subject": subject, "party": party, "name": name, "group_id": group,
            "score": round(float(score or 0.0), 4), "expected_duties": round(float(expected or 0.0), 2),
            "reasons": to_json([r.as_dict() for r in reasons[:TOP_REASONS]])}


def _items(store: GraphStore, s: Settings) -> Iterable[dict[str, Any]]:
    for d in results.alert_items(store, min_cover=COVER_MIN, min_z=UNIT_VALUE_MIN_Z):
        who = (d["party"], d["party_name"], d["group_id"])
        if (d["cover_score"] or 0.0) >= COVER_MIN:
            yield _alert("cover_item", d["key"], *who, d["cover_score"],
                         d["cover_score"] * (d["duty"] or 0.0),
                         d["cover_reasons"])
        if d["uv_z"] is not None and abs(d["uv_z"]) >= UNIT_VALUE_MIN_Z:
            yield _alert("unit_value", d["key"], *who, abs(d["uv_z"]), d["uv_duties_at_stake"] or 0.0,
                         d["uv_reasons"])


def _parties(store: GraphStore, s: Settings) -> Iterable[dict[str, Any]]:
    for p in results.alert_parties(store, min_risk=s.alert_risk_threshold, min_switch=HS_SWITCH_MIN):
        who = (p["key"], p["key"], p["name"], p["group_id"])
        duty = p["duty"] or 0.0
        if (p["risk_score"] or 0.0) >= s.alert_risk_threshold:
            yield _alert("entity_risk", *who, p["risk_score"], p["risk_score"] * duty, p["risk_reasons"])
        if (p["hs_switch_score"] or 0.0) >= HS_SWITCH_MIN:
            yield _alert("hs_switch", *who, p["hs_switch_score"], p["hs_switch_score"] * duty,
                         [r for sw in p["hs_switches"] for r in sw["reasons"]])


def _screening(store: GraphStore, s: Settings) -> Iterable[dict[str, Any]]:
    """One alert per screened subject (its best hit first in the reasons), not one per listed entity."""
    by_subject: dict[str, list[dict]] = {}
    for h in results.alert_screening_hits(store):
        by_subject.setdefault(h["subject"], []).append(h)
    for subject, hits in by_subject.items():
        hits.sort(key=lambda h: -(h["score"] or 0.0))
        top = hits[0]
        party = subject if top["party_id"] is not None else None
        yield _alert("screening", subject, party, top["name"], top["group_id"], top["score"],
                     (top["score"] or 0.0) * (top["duty"] or 0.0), [r for h in hits for r in h["reasons"]])


def _profiles(store: GraphStore, s: Settings, keys: list[str] | None = None) -> Iterable[dict[str, Any]]:
    """One alert per item that risk profiles fired on (every profile that fired in its reasons); its
    score is the weight of the strictest action (red 1, yellow 0.6, blue 0.4, green 0.2), its
    expected duties that weight times the item's duties."""
    for d in results.alert_profile_items(store, keys):
        w = ACTION_WEIGHT.get(d["action"] or "", ACTION_WEIGHT["green"])
        yield _alert("profile", d["key"], d["party"], d["party_name"], d["group_id"], w,
                     w * (d["duty"] or 0.0),
                     d["reasons"])


SOURCES: tuple[Callable[[GraphStore, Settings], Iterable[dict[str, Any]]], ...] = (_items, _parties,
                                                                                   _screening, _profiles)


def _case_subject(a: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, kind, name) of the case an alert belongs to: its group, else its party, else itself."""
    if a["group_id"]:
        return a["group_id"], "group", f"linked group {a['group_id']}"
    if a["party"]:
        return a["party"], "party", a["name"] or a["party"]
    return a["subject"], "person", a["name"] or a["subject"]


def raise_alerts(store: GraphStore, settings: Settings | None = None, *, now: datetime | None = None,
                 batch_size: int = 5000) -> dict[str, Any]:
    """Raise the alerts of the stored results, refresh the open ones, open cases; return the counts."""
    s = settings or get_settings()
    return record_alerts(store, [a for source in SOURCES for a in source(store, s)], now=now,
                         batch_size=batch_size)


def raise_profile_alerts(store: GraphStore, item_keys: list[str], settings: Settings | None = None, *,
                         now: datetime | None = None) -> dict[str, Any]:
    """The profile alerts of the given stored items only (`POST /assess?store=true`: one posted item),
    de-duplicated and grouped into cases as `raise_alerts` does."""
    s = settings or get_settings()
    return record_alerts(store, list(_profiles(store, s, item_keys)), now=now, scoped=True)


def record_alerts(store: GraphStore, found: list[dict[str, Any]], *, now: datetime | None = None,
                  batch_size: int = 5000, scoped: bool = False) -> dict[str, Any]:
    """Write alerts (the sources' dicts): an open alert of the same kind and subject is refreshed,
    a new one joins its subject's open case or opens one; the touched cases' priorities refreshed.

    `scoped`: read only the open alerts and cases the found alerts could meet (by their subjects,
    an indexed lookup), for a call that raises a few (one posted item); a scoring run raises
    thousands and reads every open one in one query."""
    at = (now or datetime.now(UTC)).isoformat(timespec="microseconds")
    if scoped:
        subjects = sorted({a["subject"] for a in found})
        alerts = store.run("cases.open_alerts_of", subjects=subjects) if subjects else []
        case_subjects = sorted({_case_subject(a)[0] for a in found})
        cases = store.run("cases.open_cases_of", subjects=case_subjects) if case_subjects else []
    else:
        alerts, cases = store.run("cases.open_alerts"), store.run("cases.open_cases")
    open_alerts = {(a["kind"], a["subject"]): a for a in alerts}
    open_cases = {c["subject"]: c["key"] for c in cases}
    new_cases: dict[str, dict[str, Any]] = {}
    rows, links, refreshed = [], [], 0
    for a in found:
        prev = open_alerts.get((a["kind"], a["subject"]))
        case_key = prev["case_key"] if prev else None
        if case_key is None:
            subject, kind, name = _case_subject(a)
            case_key = open_cases.get(subject)
            if case_key is None:
                case_key = f"case:{subject}:{at}"
                open_cases[subject] = case_key
                new_cases[case_key] = {"key": case_key, "subject": subject, "subject_kind": kind,
                                       "name": name, "at": at}
        key = prev["key"] if prev else f"alert:{a['kind']}:{a['subject']}:{at}"
        refreshed += prev is not None
        rows.append({**a, "key": key, "first_seen": prev["first_seen"] if prev else at, "last_seen": at,
                     "runs": (prev["runs"] or 0) + 1 if prev else 1, "case_key": case_key})
        links.append({"alert": key, "case_key": case_key})
    for _ in store.run_batches("cases.create_cases", list(new_cases.values()), batch_size=batch_size):
        pass
    for _ in store.run_batches("cases.write_alerts", rows, batch_size=batch_size):
        pass
    for _ in store.run_batches("cases.link_alerts", links, batch_size=batch_size):
        pass
    touched = sorted({r["case_key"] for r in rows})
    for i in range(0, len(touched), batch_size):
        store.run("cases.refresh_priority", keys=touched[i:i + batch_size])
    return {"alerts": len(rows), "new": len(rows) - refreshed, "refreshed": refreshed,
            "cases_opened": len(new_cases), "cases_touched": len(touched),
            "by_kind": dict(Counter(r["kind"] for r in rows))}
