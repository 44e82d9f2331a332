"""Duplicates: one company recorded under two or three party ids.

Why a module of its own: entity resolution is measured on these. A second record of a firm is keyed
in the other script, or with another legal form (maybe upper-cased), with its tax id reformatted,
or without a tax id but with the same phone, address and bank account; part of the firm's
declarations then carry the other record.
"""

from __future__ import annotations

from ingest.simulate import vocab as V
from ingest.simulate.traders import TraderFactory
from ingest.simulate.world import World, render_name


def duplicates(f: TraderFactory, rng, ordinary: list[int]) -> list[list[int]]:
    """Give `duplicates` ordinary companies 1-2 more records each: [[original, duplicate, ...]]."""
    w, k, traders = f.w, f.k, f.traders
    dup_truth = []
    eligible = [i for i in ordinary if w.parties[traders[i].party]["kind"] == "company"]
    for ti in rng.choice(eligible, size=min(len(eligible), k["duplicates"]), replace=False):
        t = traders[int(ti)]
        group = [t.party]
        taken = {w.parties[t.party]["name"]}
        for _v in range(1 if rng.random() < 0.8 else 2):
            group.append(_duplicate(w, rng, t.party, taken))
        t.dup = group[1:]
        t.dup_share = float(rng.uniform(0.2, 0.5))
        t.min_headers = max(t.min_headers, 2 * len(group))
        dup_truth.append(group)
    return dup_truth


def _duplicate(w: World, rng, orig: int, taken: set[str]) -> int:
    """A second record of the same company: other script or legal form, tax id reformatted or missing."""
    c, r = w.canon[orig], w.parties[orig]
    parts = c["parts"]
    mode = int(rng.integers(3))
    for attempt in range(50):
        if mode == 0 and attempt < 10:   # the other script
            name = render_name(parts, not c["cyr"], int(rng.integers(3)))
        else:                            # a legal-form variant, maybe upper-cased
            form = V.FORM_VARIANTS.get(parts["form"][0], (parts["form"][0],))
            name = render_name(parts, c["cyr"], int(rng.integers(3)), form=form[int(rng.integers(len(form)))])
            if rng.random() < 0.3 or attempt > 40:
                name = name.upper()
        if name not in taken:
            break
    taken.add(name)
    rec = dict(r)
    rec.pop("party_id")
    rec["name"] = name
    for col, key in (("phone", "phone"), ("address", "address"), ("bank_account", "bank")):
        if r[col] is None:  # a firm keyed in twice is one the registers know well: no holes here
            r[col] = c[key]
    if mode == 2:      # no tax id: phone, address and bank say it is the same firm
        rec["tax_id"] = None
        rec["phone"] = V.phone_as_recorded(rng, c["phone"], 0.8)
        rec["address"] = V.address_variant(rng, c["address"])
        rec["bank_account"] = V.account_as_recorded(rng, c["bank"], 0.5)
    else:
        tax = c["tax"]
        rec["tax_id"] = V.tax_id_as_recorded(rng, tax, 1.0) if r["tax_id"] == tax else tax
        if rng.random() < 0.4:
            rec["phone"] = V.phone_as_recorded(rng, c["phone"], 0.8)
    if rng.random() < 0.5:
        rec["email"] = None
    return w.add_party(rec, dict(c))
