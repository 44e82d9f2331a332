"""Name search narrows the names through its token index the same way in every process (issue 12)."""

from __future__ import annotations

from api.services.search import _Names


def test_equally_rare_words_are_taken_in_alphabetical_order_not_in_hash_order():
    """Two query words held by three names each, room for three candidates: the candidates are the
    alphabetically first word's names. In set order (str hashes are salted per process) each of the
    20 queries picks either word, so the old code passes all 20 about once in a million processes."""
    norms, first = [], {}
    for i in range(20):
        a, b = f"alpha{i:02d}", f"omega{i:02d}"
        first[i] = set(range(len(norms), len(norms) + 3))
        norms += [f"{a} trade {n}" for n in ("x", "y", "z")] + [f"{b} trade {n}" for n in ("x", "y", "z")]
    names = _Names([f"k{i}" for i in range(len(norms))], norms, [{} for _ in norms], ())
    for i in range(20):
        assert names.candidates(f"omega{i:02d} alpha{i:02d}", cap=3) == first[i], i
