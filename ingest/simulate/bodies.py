"""A world's declaration rows as the API takes them (`POST /declarations`, `POST /assess`): the JSON
bodies the declaration processing system would send, for the benchmarks and the HTTP tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

#: the contract's numeric columns of declarations.csv (the rest travel as text)
_FLOATS = ("net_mass_kg", "gross_mass_kg", "quantity", "customs_value", "duty_rate", "duty_amount")


def declaration_bodies(world: Path, n: int, offset: int = 0) -> list[dict[str, Any]]:
    """`n` rows of the world's declarations.csv from row `offset`: empty fields left out, numbers as
    numbers."""
    out: list[dict[str, Any]] = []
    with (world / "declarations.csv").open(encoding="utf-8") as f:
        for i, r in enumerate(csv.DictReader(f)):
            if i < offset:
                continue
            if len(out) >= n:
                break
            body: dict[str, Any] = {k: v for k, v in r.items() if v != ""}
            body["item_no"] = int(body.get("item_no", 1))
            for k in _FLOATS:
                if k in body:
                    body[k] = float(body[k])
            out.append(body)
    return out
