"""A small bundle whose parties are spelling variants of the sanctioned people and companies of the
real zala FtM file (../shared/datasets/ftm/yente_zala.ftm.json), shared by the screening tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import dataset

OSETROVA = "zala:NK-2Tbri3s6GgNtAwsSXh4qpL"  # Maria Aleksandrovna Osetrova, person
KALASHNIKOV = "zala:NK-nR5AXM9AVPq4pQaSPSaVam"  # Concern Kalashnikov (Latin names only)
ZALA_AERO = "zala:NK-cPks3aTbes8k4aCerfBAzN"  # INN 9715478507
ABASHKIN = "zala:NK-mCEmxFfuhfdjpC8gsxH74o"  # Абашкин Константин Игоревич

PARTIES = [["party_id", "name", "kind", "country", "tax_id"],
           ["P1", "ОСЕТРОВА Мария Александровна", "person", "RU", ""],  # other script, other order
           ["P2", "Концерн Калашников", "company", "RU", ""],  # Cyrillic of a Latin-only listed name
           ["P3", "Vostok Logistik OOO", "company", "RU", "9715478507"],  # shares Zala Aero's INN
           ["P4", "Romashka Trading LLC", "company", "KZ", "600400500600"]]  # no hit
DECLARATIONS = [["declaration_id", "item_no", "date", "declarant_id", "consignee_id", "hs_code",
                 "customs_value"],
                ["D1", "1", "2025-03-01", "P3", "P4", "880620", "1000"],
                ["D2", "1", "2025-03-02", "P2", "P4", "930100", "2000"]]
OFFICERS = [["company_id", "person_id", "person_name", "role"],
            ["P4", "O1", "Abashkin Konstantin Igorevich", "director"]]  # Latin of a Cyrillic listed name


def write_bundle(folder: Path, parties=PARTIES) -> Path:
    folder.mkdir(exist_ok=True)
    for name, rows in (("parties", parties), ("declarations", DECLARATIONS), ("officers", OFFICERS)):
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    return folder


def zala_variant(path: Path, change: dict[str, dict]) -> Path:
    """The zala file with some entities' properties replaced (a new version of the list)."""
    out = []
    for line in dataset("ftm", "yente_zala.ftm.json").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        e = json.loads(line)
        if e["id"] in change:
            e["properties"].update(change[e["id"]])
        out.append(json.dumps(e, ensure_ascii=False))
    path.write_text("\n".join(out), encoding="utf-8")
    return path
