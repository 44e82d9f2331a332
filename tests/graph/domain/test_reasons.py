"""`Reason.as_dict` is written by hand for speed: it must stay the shape `dataclasses.asdict` gives,
also after a field is added to `Reason` or `Evidence`."""

from __future__ import annotations

from dataclasses import asdict

from hypothesis import given
from hypothesis import strategies as st

from graph.domain.reasons import Evidence, Reason

values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8))
floats = st.one_of(st.none(), st.floats(allow_nan=False))
evidence = st.builds(Evidence, st.text(max_size=6), st.text(max_size=6),
                     st.one_of(st.none(), st.text(max_size=6)), floats)


@given(st.builds(Reason, st.text(max_size=8), st.text(max_size=20), values,
                 st.one_of(st.none(), st.floats(allow_nan=False)), st.lists(evidence, max_size=3).map(tuple)))
def test_as_dict_is_asdict_with_a_list_of_evidence(reason: Reason):
    want = asdict(reason)
    want["evidence"] = [asdict(e) for e in reason.evidence]
    got = reason.as_dict()
    assert got == want
    assert list(got) == list(want)
    assert [list(e) for e in got["evidence"]] == [list(e) for e in want["evidence"]]
