"""Risk profiles: the criteria language refuses what it cannot evaluate (naming where), evaluation over
a frame equals masks computed by hand, one item gives what the batch gives, lanes combine strictest
first, and retired or expired profiles stop firing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.declarations import goods
from graph.declarations.profile_criteria import ParseError, conditions, parse
from graph.declarations.profile_fields import watchlist_tables
from graph.declarations.profiles import (
    ProfileContext,
    ProfileError,
    active_profiles,
    apply_profiles,
    apply_to_item,
    cover_pair_profiles,
    evaluate,
    make_profile,
    profiles_from_toml,
)

STARTER = Path(__file__).resolve().parents[3] / "graph" / "declarations" / "profiles_starter.toml"


def prof(criteria: str, action: str = "red", pid: str = "p", **kw) -> object:
    return make_profile({"id": pid, "name": pid, "criteria": criteria, "action": action, "reason": "test",
                         **kw})


# --------------------------------------------------------------------------- the language

@pytest.mark.parametrize("text", [
    'hs ^= "2402"',
    'hs ^= ["2402", "2208"] and origin in ["AE","TR"]',
    'transit has "TM" or transit has ["IR", "TM"]',
    'not (consignee.risk >= 0.6) and value > 1e4',
    'party.phoenix or declarant.new = true',
    'uv_ratio < 0.5 and duty_rate <= 5 and mass != 0',
    'origin not in ["UZ"] and border_post = "Keles" and mode == "rail"',
    'consignee.group = "G1" and broker.offender_hops <= 2 and third_country',
    'NOT hs ^= "24" AND (origin = "AE" OR dispatch = "AE")',
    'origin = "a \\" quote"',
    'party.on_watchlist or consignee.watchlist_hit >= 0.9 or carrier.watchlists has ["ofac", "own"]',
])
def test_the_language_accepts(text):
    tree = parse(text)
    assert conditions(tree)


@pytest.mark.parametrize(("text", "pos", "words"), [
    ('hs ^= 2402', 6, "takes a string"),
    ('origni in ["AE"]', 0, "unknown field 'origni'"),
    ('hs ^= "2402" and origni in ["AE"]', 17, "unknown field 'origni'"),
    ('value > "x"', 8, "takes a number"),
    ('(hs = "1"', 9, "expected ')'"),
    ('hs in "AE"', 6, "needs a list"),
    ('consignee.risk', 14, "needs an operator"),
    ('origin < "AE"', 7, "does not apply"),
    ('transit = "TM"', 8, "does not apply"),
    ('hs = "1" hs = "2"', 9, "expected and/or"),
    ('', 0, "empty"),
    ('origin = "A', 9, "unterminated string"),
    ('value > 1; DROP', 9, "unexpected character"),
    ('consignee.colour = "red"', 0, "unknown field"),
    ('hs ^= ""', 6, "non-empty prefix"),
    ('value = [1, 2]', 8, "not a list"),
    ('__import__("os")', 0, "unknown field"),
    ('consignee.on_watchlist >= 0.9', 23, "does not apply"),
    ('party.watchlists = "ofac"', 17, "does not apply"),
    ('consignee.watchlist_hit >= "high"', 27, "takes a number"),
    ('party.watchlists has 1', 21, "takes a string"),
    ('consignee.watchlisted', 0, "unknown field"),
])
def test_the_language_refuses_naming_the_position(text, pos, words):
    with pytest.raises(ParseError) as e:
        parse(text)
    assert e.value.pos == pos, str(e.value)
    assert words in str(e.value)
    assert f"column {pos + 1}" in str(e.value)


def test_deep_nesting_is_refused_not_a_recursion_error():
    with pytest.raises(ParseError, match="nested deeper"):
        parse("(" * 500 + 'hs = "1"' + ")" * 500)
    with pytest.raises(ParseError, match="nested deeper"):
        parse("not " * 500 + "party.phoenix")


_ALPHABET = st.sampled_from(list('hs^="2402 andornotin[],()<>=!. 0.5 origin transit has party.risk '
                                 'consignee.new "AE" \\x$'))


@given(st.one_of(st.text(max_size=80), st.lists(_ALPHABET, max_size=40).map("".join)))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_junk_never_crashes_the_parser(text):
    try:
        tree = parse(text)
    except ParseError:
        return
    # what parses also evaluates, on an empty frame and on a frame of nothing but missing values
    p = prof(text)
    assert evaluate(p, pd.DataFrame({"key": []}), ProfileContext()).shape == (0,)
    assert evaluate(p, pd.DataFrame({"key": ["k"]}), ProfileContext()).dtype == bool
    assert conditions(tree)


def test_a_test_prints_back_as_criteria_that_parse_to_the_same_cond():
    criteria = 'hs ^= ["24", "22"] and origin not in ["A\\"B"] and value >= 1.5 and party.phoenix'
    for t in conditions(parse(criteria)):
        assert conditions(parse(t.text()))[0] == t.__class__(t.field, t.op, t.value, 0)


# --------------------------------------------------------------------------- evaluation

@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "key": ["s:D1/1", "s:D2/1", "s:D3/1", "s:D4/1", "s:D5/1"],
        "date": pd.to_datetime(["2025-01-10", "2025-02-01", "2025-03-01", "2025-03-05", None]),
        "hs_code": ["2402200000", "2402100000", "8517120000", "0709999000", None],
        "customs_value": [100.0, 5000.0, 100.0, 9000.0, np.nan],
        "net_mass_kg": [100.0, 100.0, 1.0, np.nan, 10.0],
        "gross_mass_kg": [110.0, 105.0, 1.2, 300.0, 11.0],
        "duty_rate": [30.0, 30.0, 0.0, 5.0, np.nan],
        "origin_country": ["AE", "TR", None, "CN", "AE"],
        "dispatch_country": ["AE", "AE", "KR", "CN", None],
        "transit_countries": ["IR;TM", None, "TM", "KZ", np.nan],
        "border_post": ["Farap", "Alat", "Toshkent-Aero", "Keles", None],
        "transport_mode": ["road", "road", "air", "rail", None],
        "declarant": ["s:B1", None, "s:P1", "s:P4", None],
        "consignee": ["s:P1", "s:P2", "s:P3", "s:P4", "s:P9"],
    })


@pytest.fixture
def ctx(frame) -> ProfileContext:
    return ProfileContext(
        party_risk=pd.Series({"s:P1": 0.9, "s:P2": 0.1, "s:P4": 0.5, "s:B1": 0.2}),
        party_group=pd.Series({"s:P1": "G1", "s:P4": "G2"}),
        phoenix=frozenset({"s:P3"}),
        registered_on=pd.Series({"s:P1": pd.Timestamp("2024-12-01"), "s:P2": pd.Timestamp("2020-01-01")}),
        offender_hops=pd.Series({"s:P1": 1.0, "s:P4": 0.0}),
        norms={6: pd.DataFrame({"n": [8], "median": [np.log(2.0)], "scale": [0.3]},
                               index=pd.Index(["240220"])),
               4: pd.DataFrame({"n": [8, 8], "median": [np.log(10.0), np.log(5.0)], "scale": [0.3, 0.3]},
                               index=pd.Index(["2402", "0709"]))},
        watchlist=watchlist_tables(HITS),
    )


# screening hits as graph.pipeline.screening.live_hits gives them: P2 a new hit, P3 confirmed on one
# list (counts 1) and new on another, P4 only a false positive (never counts), O1 an officer (not a party)
HITS = pd.DataFrame({
    "subject": ["s:P2", "s:P3", "s:P3", "s:P4", "s:O1"],
    "subject_label": ["Party", "Party", "Party", "Party", "Person"],
    "list": ["ofac", "own", "ofac", "ofac", "own"],
    "score": [0.85, 0.84, 0.9, 0.99, 0.95],
    "state": ["new", "confirmed", "new", "false_positive", "confirmed"],
})


# value per kg: 1, 50, 100, 30 (gross: net missing), missing; usual: HS6 240220 -> 2, HS4 2402 -> 10 (row 2
# has HS6 240210, not in the HS6 norms), 0709 -> 5, 8517 none
HAND = {
    'hs ^= "2402"': [1, 1, 0, 0, 0],
    'hs ^= ["85", "07"]': [0, 0, 1, 1, 0],
    'hs = "8517120000"': [0, 0, 1, 0, 0],
    'origin in ["AE", "TR"]': [1, 1, 0, 0, 1],
    'origin not in ["AE"]': [0, 1, 0, 1, 0],  # a missing origin is neither in nor not in
    'not origin in ["AE"]': [0, 1, 1, 1, 0],
    'origin != "AE"': [0, 1, 0, 1, 0],
    'transit has "TM"': [1, 0, 1, 0, 0],
    'transit has ["IR", "KZ"]': [1, 0, 0, 1, 0],
    'third_country': [0, 1, 0, 0, 0],
    'border_post = "Farap" or mode = "air"': [1, 0, 1, 0, 0],
    'value >= 5000': [0, 1, 0, 1, 0],
    'mass > 50': [1, 1, 0, 1, 0],
    'uv < 40': [1, 0, 0, 1, 0],
    'uv_ratio < 0.75': [1, 0, 0, 0, 0],  # 1/2 (HS6); 50/10 = 5 (HS4); 30/5 = 6; no norm for 8517
    'uv_ratio > 4': [0, 1, 0, 1, 0],
    'duty_rate <= 5': [0, 0, 1, 1, 0],
    'consignee = "s:P2"': [0, 1, 0, 0, 0],
    'consignee.risk >= 0.5': [1, 0, 0, 1, 0],
    'party.risk >= 0.5': [1, 0, 1, 1, 0],  # row 3: its declarant is s:P1
    'declarant.risk < 0.5': [1, 0, 0, 0, 0],
    'consignee.in_group': [1, 0, 0, 1, 0],
    'party.group = "G1"': [1, 0, 1, 0, 0],
    'party.phoenix': [0, 0, 1, 0, 0],
    'consignee.new': [1, 0, 0, 0, 0],  # P1 registered 40 days before; P2 five years
    'consignee.age_days > 1000': [0, 1, 0, 0, 0],
    'party.offender_hops <= 1': [1, 0, 1, 1, 0],
    'consignee.offender_hops = 0': [0, 0, 0, 1, 0],
    'hs ^= "2402" and (origin = "TR" or transit has "TM") and not consignee.new': [0, 1, 0, 0, 0],
    'party.on_watchlist': [0, 1, 1, 0, 0],  # row 3: P4's only hit is a false positive
    'not consignee.on_watchlist': [1, 0, 0, 1, 1],
    'consignee.watchlist_hit >= 0.9': [0, 0, 1, 0, 0],  # P3 confirmed: 1; P2 0.85
    'consignee.watchlist_hit < 0.5': [1, 0, 0, 1, 1],  # no live hit: 0
    'declarant.watchlist_hit >= 0': [1, 0, 1, 1, 0],  # no declarant: missing, never holds
    'party.watchlists has "ofac"': [0, 1, 1, 0, 0],
    'consignee.watchlists has ["own"]': [0, 0, 1, 0, 0],
}


@pytest.mark.parametrize("copies", [1, 4], ids=["small", "factorised"])  # both sides of profiles.SMALL
@pytest.mark.parametrize("criteria", list(HAND))
def test_evaluation_equals_the_hand_computed_mask(frame, ctx, criteria, copies):
    got = evaluate(prof(criteria), pd.concat([frame] * copies, ignore_index=True), ctx)
    assert got.tolist() == [bool(x) for x in HAND[criteria]] * copies


def test_uv_ratio_reads_the_valuation_reference_of_goods(frame):
    """With norms from graph.declarations.goods over a frame, uv_ratio is exp(robust_z's log gap)."""
    big = pd.concat([frame] * 8, ignore_index=True)
    norms = {level: goods.hs_norms(big, level=level) for level in (6, 4, 2)}
    rz = goods.robust_z(big)
    ratio = np.exp(rz["luv"] - rz["norm_median"]).to_numpy()
    for t in (0.5, 1.0, 2.0):
        got = evaluate(prof(f"uv_ratio < {t}"), big, ProfileContext(norms=norms))
        assert got.tolist() == [bool(r < t) for r in np.nan_to_num(ratio, nan=np.inf)]


def test_one_item_gives_what_the_batch_gives(frame, ctx):
    profiles = [prof(c, action=a, pid=f"p{i}") for i, (c, a) in
                enumerate(zip(HAND, ["red", "yellow", "blue", "green"] * 10, strict=False))]
    frame = pd.concat([frame] * 4, ignore_index=True)  # more rows than profiles.SMALL: the batch path
    model = ["green", "yellow", "green", "red", None] * 4
    batch = apply_profiles(frame, ctx, profiles, model, on=dt.date(2025, 6, 1))
    assert sum(map(len, batch.reasons)) > 40
    for i, row in enumerate(frame.to_dict("records")):
        lane, reasons = apply_to_item(row, ctx, profiles, model[i], on=dt.date(2025, 6, 1))
        assert lane == batch.lanes.iloc[i]
        assert reasons == batch.reasons[i]


@given(st.lists(st.sampled_from(list(HAND)), min_size=1, max_size=4),
       st.lists(st.sampled_from(["red", "yellow", "blue", "green"]), min_size=4, max_size=4))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_lane_is_the_strictest_action_of_what_fired(frame, ctx, chosen, actions):
    order = ["green", "blue", "yellow", "red"]
    profiles = [prof(c, action=a, pid=f"p{i}") for i, (c, a) in enumerate(zip(chosen, actions, strict=False))]
    model = ["green", "yellow", "blue", "red", "green"]
    out = apply_profiles(frame, ctx, profiles, model, on=dt.date(2025, 6, 1))
    for i in range(len(frame)):
        fired = [p for p in profiles if HAND[p.criteria][i]]
        want = max([model[i], *(p.action for p in fired)], key=order.index)
        assert out.lanes.iloc[i] == want
        assert out.fired[i] == [p.id for p in fired]
        assert [r.feature for r in out.reasons[i]] == [f"profile:{p.id}" for p in fired]


def test_a_reason_names_the_profile_its_version_action_and_the_values_read(frame, ctx):
    p = prof('hs ^= "2402" and consignee.risk >= 0.5', pid="cig-ae", version=3)
    out = apply_profiles(frame, ctx, [p], on=dt.date(2025, 6, 1))
    (r,) = out.reasons[0]
    assert r.feature == "profile:cig-ae" and r.value == "red" and r.contribution is None
    assert "v3" in r.detail and "hs=2402200000" in r.detail and "consignee.risk=0.9" in r.detail
    assert [(e.kind, e.id) for e in r.evidence] == [("profile", "cig-ae@3"), ("item", "s:D1/1")]
    assert out.reasons[1] == [] and out.lanes.tolist() == ["red", "green", "green", "green", "green"]


def test_retired_and_out_of_period_profiles_do_not_fire(frame, ctx):
    on = dt.date(2025, 6, 1)
    live = prof('hs ^= "2402"', pid="a")
    retired = prof('hs ^= "2402"', pid="b", retired=True)
    later = prof('hs ^= "2402"', pid="c", valid_from="2025-06-02")
    ended = prof('hs ^= "2402"', pid="d", valid_to="2025-05-31")
    last_day = prof('hs ^= "2402"', pid="e", valid_from="2025-01-01", valid_to="2025-06-01")
    assert [p.id for p in active_profiles([live, retired, later, ended, last_day], on)] == ["a", "e"]
    out = apply_profiles(frame, ctx, [retired, later, ended], on=on)
    assert out.lanes.tolist() == ["green"] * 5 and out.fired == [[]] * 5


# --------------------------------------------------------------------------- profiles and files

@pytest.mark.parametrize(("data", "field", "words"), [
    ({"action": "purple"}, "action", "not one of"),
    ({"criteria": "hs ^= 24"}, "criteria", "column 7 of criterion 'hs ^= 24'"),
    ({"expected_rate": 1.5}, "expected_rate", "between 0 and 1"),
    ({"valid_from": "2025-13-01"}, "valid_from", "not a date"),
    ({"valid_from": "2025-02-01", "valid_to": "2025-01-01"}, "valid_to", "before valid_from"),
    ({"reason": ""}, "reason", "required"),
    ({"id": "a b"}, "id", "letters, digits"),
    ({"colour": "red"}, "colour", "unknown field"),
])
def test_a_bad_profile_is_refused_naming_its_field(data, field, words):
    base = {"id": "x1", "name": "n", "criteria": 'hs ^= "24"', "action": "red", "reason": "r"}
    with pytest.raises(ProfileError) as e:
        make_profile({**base, **data})
    assert e.value.field == field and words in str(e.value)


def test_a_file_with_one_bad_profile_is_refused_whole_naming_the_profile_and_criterion():
    text = STARTER.read_text(encoding="utf-8").replace("party.phoenix'", "party.phoenix and origni = \"AE\"'")
    with pytest.raises(ProfileError) as e:
        profiles_from_toml(text, "pack.toml")
    msg = str(e.value)
    assert "pack.toml, profile #8" in msg and "'tbml-phoenix-successor'" in msg and "origni" in msg
    assert "column 19 of criterion" in msg
    with pytest.raises(ProfileError, match="appears twice"):
        profiles_from_toml(('[[profile]]\nid="a"\nname="n"\ncriteria="party.phoenix"\naction="red"\n'
                            'reason="r"\n') * 2)
    with pytest.raises(ProfileError, match="version: is set by the store"):
        profiles_from_toml('[[profile]]\nid="a"\nname="n"\ncriteria="party.phoenix"\naction="red"\nreason="r"\n'
                           'version=7\n')
    with pytest.raises(ProfileError, match="not valid TOML"):
        profiles_from_toml("[[profile]\n")
    with pytest.raises(ProfileError, match="no \\[\\[profile\\]\\] tables"):
        profiles_from_toml("title = 'x'\n")


def test_the_starter_pack_loads_and_every_profile_cites_its_indicator(frame, ctx):
    pack = profiles_from_toml(STARTER.read_text(encoding="utf-8"), str(STARTER))
    assert len(pack) >= 8 and len({p.id for p in pack}) == len(pack)
    assert all("FATF" in p.reason and p.expected_rate and p.action in ("red", "yellow", "blue") for p in pack)
    out = apply_profiles(frame, ctx, pack, on=dt.date(2025, 6, 1))
    assert out.lanes.iloc[2] == "red"
    assert "profile:tbml-phoenix-successor" in [r.feature for r in out.reasons[2]]


def test_learned_cover_pairs_become_red_profiles(frame, ctx):
    pairs = pd.DataFrame({"declared_hs": ["070999", "392690"], "actual_hs": ["240220", "851713"],
                          "count": [5, 1], "parties": [2, 1]})
    (p,) = cover_pair_profiles(pairs, uv_ratio=2.0)
    assert p.id == "cover-070999-240220" and p.action == "red" and "5 offences" in p.reason
    # row 4 (HS 0709999000): 30 per kg against the usual 5 of HS4 0709
    assert evaluate(p, frame, ctx).tolist() == [False, False, False, True, False]


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
                    st.text(max_size=20), st.dates(), st.lists(st.integers(), max_size=2),
                    st.sampled_from(["red", "blue", 'hs ^= "24"']))


@given(st.dictionaries(st.sampled_from(["id", "name", "criteria", "action", "reason", "owner", "valid_from",
                                        "valid_to", "expected_rate", "version", "retired", "other"]),
                       _VALUES, max_size=12))
@settings(max_examples=300, deadline=None)
def test_any_mapping_is_a_profile_or_a_profile_error(data):
    try:
        p = make_profile(data)
    except ProfileError as e:
        assert e.field and str(e)
        return
    assert p.action in ("red", "yellow", "blue", "green") and p.tree is not None


def test_an_item_may_give_its_transit_countries_as_a_list(ctx):
    p = prof('transit has "TM" and origin = "AE"')
    row = {"key": "s:X/1", "origin_country": "AE", "transit_countries": ["IR", "TM"]}
    assert apply_to_item(row, ctx, [p], "green", on=dt.date(2025, 6, 1))[0] == "red"
    assert apply_to_item({**row, "transit_countries": ["KZ"]}, ctx, [p], "green",
                         on=dt.date(2025, 6, 1))[0] == "green"


def test_watchlist_tables_count_confirmed_as_one_and_never_a_false_positive():
    assert watchlist_tables(HITS) == {"s:P2": (0.85, ("ofac",)), "s:P3": (1.0, ("ofac", "own"))}
    assert watchlist_tables(None) == {} and watchlist_tables(HITS.iloc[:0]) == {}


def test_a_bad_watchlist_criterion_refuses_the_profile_naming_it():
    with pytest.raises(ProfileError) as e:
        make_profile({"id": "sanctioned", "name": "x", "criteria": "consignee.on_watchlist >= 0.9",
                      "action": "red", "reason": "r"})
    assert e.value.profile == "sanctioned" and e.value.field == "criteria"
    assert "consignee.on_watchlist is a bool field" in str(e.value) and "column 24" in str(e.value)
