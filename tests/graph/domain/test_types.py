"""Property types own their cleaning: an HS code is digits (with spaces, dots or hyphens between them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.types import HSCode

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ingest"))


@pytest.mark.parametrize("raw", ["09A2400000", "0710/80", "7108,10", "O71080", "071080x", "０７１０８０",
                                 "١٢٣٤٥٦"])
def test_a_code_with_other_characters_is_refused(raw):
    assert HSCode.clean(raw) is None
    assert HSCode.prefix(raw, 6) is None


@pytest.mark.parametrize(("raw", "code"), [("071080", "071080"), ("71080", "071080"), ("0710.80", "071080"),
                                           ("0710.80-95", "07108095"), (" 8471 30 000 0 ", "8471300000"),
                                           ("71080.0", "071080"), (710800, "710800")])
def test_the_documented_separators_are_dropped(raw, code):
    assert HSCode.clean(raw) == code


@given(st.text(alphabet="0123456789 .-", min_size=1, max_size=14))
def test_clean_is_idempotent_and_keeps_the_digits(raw):
    out = HSCode.clean(raw)
    digits = "".join(c for c in raw if c.isdigit())
    if out is not None:
        assert HSCode.clean(out) == out and out.endswith(digits.lstrip("0") or "0") and len(out) in (6, 8, 10)


def test_prefixes_of_a_column_match_the_one_value_prefix():
    codes = pd.Series(["0710809500", "071080", "8471300000", None, "1234"], dtype=object)
    for level in (2, 4, 6):
        got = HSCode.prefixes(codes, level).tolist()
        assert [None if pd.isna(g) else g for g in got] == [
            c[:level] if isinstance(c, str) and len(c) >= level else None for c in codes]


def test_a_letter_in_an_hs_code_is_quarantined_at_ingest(tmp_path, settings, grafeo_store):
    """Issue 15 item 5: `09A2400000` was stored as `0092400000` (chapter 00); now the row is quarantined."""
    from test_ingest import DECLARATIONS, make_bundle

    from ingest.load import ingest_bundle

    header, good = DECLARATIONS[0], DECLARATIONS[1]
    bad = list(good)
    bad[header.index("declaration_id")] = "BAD1"
    bad[header.index("hs_code")] = "09A2400000"
    bundle = make_bundle(tmp_path / "b", declarations=[header, good, bad])
    rep = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    recs = [json.loads(x) for x in Path(rep.quarantine_path).read_text().splitlines()]
    assert [(r["file"], r["line"], r["column"]) for r in recs] == [("declarations", 3, "hs_code")]
    assert "09A2400000" in recs[0]["reason"] and "HS code" in recs[0]["reason"]
    codes = {r["c"] for r in grafeo_store.execute("MATCH (h:HSCode) RETURN h.code AS c")}
    assert "0092400000" not in codes and not any(c.startswith("00") for c in codes)
