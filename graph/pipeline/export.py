"""`tamga export KIND --format csv|json`: tables for a spreadsheet or another system.

Kinds: entities, groups, cover-items, unit-value-anomalies, hs-switches, resolved-entities,
audit-targets (with a budget), screening-hits (party or officer, list, listed entity, score, state),
risk-areas (`graph.pipeline.risk_areas.table`: a row per area, per month and lane, per profile),
effectiveness (per lane, profile, trader category and the random baseline) and compliance (per risk area
against the tolerance level; both `graph.pipeline.effectiveness`), trader-categories (each entity's
category per month, the append-only history). One row per item (per switch event
for hs-switches). CSV headers are plain words (investigators open these in a spreadsheet; UTF-8 with a
BOM so spreadsheet programs read Cyrillic names correctly), reasons are one readable sentence list and
text that a spreadsheet would run as a formula is neutralised; JSON uses the snake_case field names,
keeps values raw and reasons structured (`graph.domain.reasons.Reason`).

The rows come from the read model `graph.pipeline.results` (what the last `tamga score` wrote);
this module only renders them, and `csv_text` is the one CSV renderer: the API's download
(`api.routes.exports`) uses this module too.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import orjson

from graph.domain.reasons import Reason, reasons_text
from graph.pipeline import effectiveness, results, risk_areas
from graph.pipeline.results import NotScoredError
from graph.store import GraphStore

__all__ = ["COLUMNS", "CSV_BOM", "KINDS", "NotScoredError", "csv_text", "export", "rows", "safe_cell"]

KINDS = ("entities", "groups", "cover-items", "unit-value-anomalies", "hs-switches", "resolved-entities",
         "audit-targets", "screening-hits", "risk-areas", "effectiveness", "compliance",
         "trader-categories")
#: kinds that are not results of `tamga score` (screening runs on every list load too)
UNSCORED_KINDS = ("screening-hits",)

# JSON field -> CSV header, per kind (order = column order)
COLUMNS: dict[str, dict[str, str]] = {
    "entities": {"party_id": "Party ID", "entity_id": "Entity ID", "name": "Name", "risk_score": "Risk score",
                 "rank": "Rank", "group_id": "Group ID", "reasons": "Reasons"},
    "groups": {"group_id": "Group ID", "party_id": "Party ID", "name": "Name", "group_risk": "Group risk",
               "links": "Links"},
    "cover-items": {"declaration_id": "Declaration ID", "item_no": "Item", "declared_hs": "Declared HS",
                    "suspected_hs": "Suspected HS", "score": "Score", "reasons": "Reasons"},
    "unit-value-anomalies": {"declaration_id": "Declaration ID", "item_no": "Item", "date": "Date",
                             "hs_code": "HS code", "unit_value": "Value per kg",
                             "norm_unit_value": "Usual value per kg", "robust_z": "Robust z",
                             "direction": "Direction", "duties_at_stake": "Duties at stake",
                             "reasons": "Reasons"},
    "hs-switches": {"party_id": "Party ID", "name": "Name", "date": "Date", "from_hs": "From HS",
                    "to_hs": "To HS",
                    "n_new": "Items under the new code", "n_old_after": "Items still under the old code",
                    "duty_rate_before": "Duty rate before", "duty_rate_after": "Duty rate after",
                    "score": "Score",
                    "reasons": "Reasons"},
    "resolved-entities": {"party_id": "Party ID", "entity_id": "Entity ID", "confidence": "Confidence"},
    "audit-targets": {"rank": "Rank", "target_id": "Target ID", "target_kind": "Target kind", "name": "Name",
                      "expected_amount": "Expected amount", "risk": "Risk",
                      "duties_at_stake": "Duties at stake",
                      "pick": "Selected by", "reasons": "Reasons"},
    "screening-hits": {"party_id": "Party ID", "name": "Name", "list": "List",
                       "listed_entity_id": "Listed entity ID",
                       "listed_name": "Listed name", "score": "Score", "state": "State", "reasons": "Reasons",
                       "hit_id": "Hit ID"},
    "risk-areas": risk_areas.COLUMNS,
    "effectiveness": {"measure": "Measure", "value": "Value", "label": "Label", "selections": "Selections",
                      "inspections": "Inspections", "hits": "Hits", "hit_rate": "Hit rate",
                      "low": "Hit rate low", "high": "Hit rate high", "duties_recovered": "Duties recovered",
                      "baseline_hit_rate": "Random baseline hit rate", "lift": "Lift over the baseline",
                      "random_inspections": "Random picks inspected in it",
                      "random_hits": "Random picks' hits",
                      "random_hit_rate": "Random picks' hit rate in it"},
    "trader-categories": {"entity_id": "Entity ID", "month": "Month", "category": "Category",
                          "score": "Score", "reasons": "Reasons"},
    "compliance": {"area": "Risk area", "value": "Value", "random_inspected": "Random picks inspected",
                   "violations": "Violations", "compliance": "Compliance", "low": "Compliance low",
                   "high": "Compliance high", "tolerance": "Tolerance level", "status": "Status"},
}


_READERS = {
    "entities": results.entities, "groups": results.groups, "resolved-entities": results.resolved_entities,
    "cover-items": results.cover_items, "unit-value-anomalies": results.unit_value_anomalies,
    "hs-switches": results.hs_switches, "screening-hits": lambda store: results.screening_hits(store),
    "risk-areas": lambda store: risk_areas.table(risk_areas.overview(store)),
    "effectiveness": lambda store: effectiveness.effectiveness(store)["measures"],
    "compliance": lambda store: effectiveness.effectiveness(store)["compliance"],
    "trader-categories": effectiveness.category_history,
}

#: a spreadsheet runs a cell starting with these as a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


CSV_BOM = "\ufeff"  # spreadsheet programs read UTF-8 (Cyrillic names) right only with it


def rows(store: GraphStore, kind: str, budget: int | None = None) -> list[dict[str, Any]]:
    """The rows of one export kind, from the read model (`graph.pipeline.results`)."""
    if kind == "audit-targets":
        if budget is None or budget <= 0:
            raise ValueError("audit-targets needs --budget N (how many audits), N >= 1")
        return results.audit_targets(store, budget)
    if kind not in _READERS:
        raise ValueError(f"unknown export kind {kind!r}: choose one of {', '.join(KINDS)}")
    return _READERS[kind](store)


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def safe_cell(v: Any) -> Any:
    """A cell as a spreadsheet may show it: text that would run as a formula is prefixed with a quote.

    Numbers stay numbers (a negative risk delta is not a formula); text is checked whatever its
    origin (party names, goods descriptions, reasons), since ingest strips leading spaces and
    `" =1+1"` arrives as `=1+1`.
    """
    if isinstance(v, list):
        v = reasons_text(v) if all(isinstance(x, Reason) for x in v) else "; ".join(map(str, v))
    if isinstance(v, float) and math.isnan(v):  # an empty cell, as any missing value
        return None
    if isinstance(v, str) and v.startswith(FORMULA_START) and not _number(v):
        return "'" + v
    return v


def csv_text(table: list[dict[str, Any]], columns: dict[str, str]) -> str:
    """The one CSV renderer (the CLI export and the API download): plain-word headers, reasons as one
    sentence list, formula-like text neutralised (`safe_cell`)."""
    buf = io.StringIO()
    # RFC 4180 line ends: with them the writer also quotes a cell holding a lone CR, which a
    # spreadsheet would otherwise read as a row break (and the text after it as a new cell)
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns.values())
    for r in table:
        w.writerow(["" if (c := safe_cell(r.get(f))) is None else c for f in columns])
    return buf.getvalue()


def _json_default(o: Any) -> Any:
    return str(o)


def export(store: GraphStore, kind: str, fmt: str, out: Path | None, *,
           budget: int | None = None) -> Path | str:
    """Write the export; return the path written, or the text when `out` is None (a CSV file starts
    with `CSV_BOM`; a caller sending the text to a spreadsheet adds it)."""
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}: choose one of {', '.join(KINDS)}")
    if fmt not in ("csv", "json"):
        raise ValueError("format must be csv or json")
    if kind not in UNSCORED_KINDS and not results.scored(store):
        # an empty table would read as "nothing risky": say what is missing instead
        raise NotScoredError()
    table = rows(store, kind, budget)
    cols = COLUMNS[kind]
    if fmt == "json":
        text = orjson.dumps([{f: r.get(f) for f in cols} for r in table], option=orjson.OPT_INDENT_2,
                            default=_json_default).decode()
    else:
        text = csv_text(table, cols)
    if out is None:
        return text
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes((CSV_BOM + text if fmt == "csv" else text).encode("utf-8"))
    return out
