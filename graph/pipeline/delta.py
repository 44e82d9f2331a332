"""The delta write-back of `tamga score`: only the rows that differ from what the store holds.

On a daily run most results are the same as yesterday's, and writing a million unchanged rows into
the store was most of the write-back (measured at 1M: 18.1 s network + 12.8 s declarations). So the
owner keeps the hand-off it applied last (`graph.pipeline.handoff` Parquet files, in the data folder's
`handoff/` with the run's key) and diffs the new hand-off against it by key, over the written
columns:

- parties, identifier specificities, cover items, unit values, HS switches, lanes, profile hits:
  a row is written when it is new or any written column differs; a key that is gone is cleared
  (items and parties by key; parties and identifiers are never removed). Party `scored_at` is not
  compared: it stays the time of the run that last changed the party's scores;
- entities and groups (nodes of their own, linked to parties): the ones whose row or whose members'
  links changed, and the ones gone, are deleted by key with their links and created again with
  their links; the others stay as they are;
- rows another writer changed since: parties a provisional update rewrote (`risk_provisional`, the
  only other writer of what the write-back writes: `intake.write_provisional`) are written again.
  Items posted since (POST /declarations, /assess?store=true) are new keys, so a flagged one is
  new in the diff; their lanes, cover and unit-value properties have no other writer. Lanes that
  went green are cleared from the store's own lanes as in a full write (`stale_lanes`);
- the trader categories are append-only against the store already (`writeback._new_categories`).

Every row is written in full instead (`previous` says why) when there is no kept hand-off, when
its run is not the store's newest ScoreRun or that run is not done (a killed or failed write-back
leaves the store partial, and the newest ScoreRun then is the one left running), when the parts
the run produced differ from the kept ones, or with `TAMGA_DELTA_WRITES=false`. The new hand-off
is kept (`Snapshot.commit`) only after the run's report is stored.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from graph.settings import Settings
    from graph.store import GraphStore

SNAPSHOT = "handoff"
META = "snapshot.json"


@dataclass
class Previous:
    """The hand-off of the last finished run, as kept in the data folder."""

    folder: Path
    run: str
    network: dict
    declarations: dict

    def table(self, kind: str, part: str) -> pa.Table | None:
        return _table(self.folder, getattr(self, kind), part)


def previous(store: GraphStore, settings: Settings) -> tuple[Previous | None, str]:
    """The kept hand-off when the store holds exactly what it wrote, else None; and why."""
    if not settings.delta_writes:
        return None, "full write: TAMGA_DELTA_WRITES is off"
    folder = Path(settings.data_dir) / SNAPSHOT
    try:
        meta = orjson.loads((folder / META).read_bytes())
    except FileNotFoundError:
        return None, "full write: no hand-off of an earlier run is kept"
    except (OSError, orjson.JSONDecodeError) as e:
        return None, f"full write: the kept hand-off does not read ({e})"
    last = store.run("analytics.last_score_run")
    newest = last[0] if last else {}
    if newest.get("key") != meta.get("run") or newest.get("status") != "done":
        return None, (f"full write: the store's newest scoring run is {newest.get('key')} "
                      f"({newest.get('status')}), the kept hand-off is of {meta.get('run')} (a run after "
                      "it was interrupted or written otherwise, so the store may differ from it)")
    return Previous(folder, meta["run"], meta["network"], meta["declarations"]), \
        f"delta: rows that differ from run {meta['run']}"


def _table(folder: Path, manifest: dict, part: str) -> pa.Table | None:
    file = manifest["files"].get(part)
    return pq.read_table(folder / file) if file else None


def _rows(t: pa.Table | None) -> list[dict]:
    return [] if t is None else t.to_pylist()


def _merged(old: pa.Table | None, new: pa.Table | None, key: str,
            ignore: tuple[str, ...] = ()) -> tuple[pa.Table, pa.ChunkedArray | pa.Array]:
    """The new rows joined with their old values (columns suffixed _old), and a mask of the rows
    that are new or differ in any column but `ignore`. In Arrow (a hash join and vectorised
    comparisons, no Python objects): the parts hold hundreds of thousands of rows at 1M items."""
    if new is None:
        kind = old.schema.field(key).type if old is not None else pa.string()
        new = pa.table({key: pa.array([], type=kind)})
    cols = [c for c in new.column_names if c not in ignore]
    n = new.select(cols)
    if old is None or not set(cols) <= set(old.column_names):
        return n, pa.array(np.ones(n.num_rows, dtype=bool))
    o = old.select(cols)
    if n.num_rows == o.num_rows and n.schema == o.schema and n.equals(o):  # the daily case: one pass
        return n, pa.array(np.zeros(n.num_rows, dtype=bool))
    for c in cols:  # a column of nulls only is of Arrow's null type, which a join does not carry
        tn, to = n.schema.field(c).type, o.schema.field(c).type
        if c == key or (tn == to and not pa.types.is_null(tn)):
            continue
        if pa.types.is_null(tn) and pa.types.is_null(to):  # null on both sides: the same
            n, o = n.drop_columns([c]), o.drop_columns([c])
        elif pa.types.is_null(tn):
            n = n.set_column(n.schema.get_field_index(c), c, n.column(c).cast(to))
        elif pa.types.is_null(to):
            o = o.set_column(o.schema.get_field_index(c), c, o.column(c).cast(tn))
    cols = n.column_names
    o = o.rename_columns([c if c == key else f"{c}_old" for c in cols]).append_column(
        "_seen", pa.array(np.ones(o.num_rows, dtype=bool)))
    m = n.join(o, keys=key, join_type="left outer", use_threads=True)
    diff = pc.is_null(m.column("_seen"))
    for c in cols:
        if c == key:
            continue
        x, y = m.column(c), m.column(f"{c}_old")
        if x.type != y.type:
            try:
                y = y.cast(x.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return m, pa.array(np.ones(m.num_rows, dtype=bool))
        same = pc.fill_null(pc.equal(x, y), False)
        same = pc.or_(same, pc.and_(pc.is_null(x), pc.is_null(y)))
        if pa.types.is_floating(x.type):  # NaN is NaN
            same = pc.or_(same, pc.fill_null(pc.and_(pc.is_nan(x), pc.is_nan(y)), False))
        diff = pc.or_(diff, pc.invert(same))
    return m, diff


def _keys(m: pa.Table, column: str, mask) -> pa.Array:
    if column not in m.column_names:  # an empty part (no file): no keys
        return pa.array([], type=pa.string())
    return pc.drop_null(m.filter(mask).column(column)).combine_chunks()


def _gone(old: pa.Table | None, new: pa.Table | None, key: str) -> pa.Array:
    if old is None:
        return pa.array([], type=pa.string())
    if new is None:
        return old.column(key).combine_chunks()
    keep = pc.invert(pc.is_in(old.column(key), value_set=new.column(key).combine_chunks()))
    return old.filter(keep).column(key).combine_chunks()


def _pick(t: pa.Table | None, column: str, keys: pa.Array) -> list[dict]:
    """The rows of `t` whose `column` is among `keys`, as the writers read them (Parquet's types)."""
    if t is None or not len(keys):
        return []
    return t.filter(pc.is_in(t.column(column), value_set=keys.cast(t.schema.field(column).type))).to_pylist()


def _union(*arrays: pa.Array) -> pa.Array:
    parts = [a for a in arrays if len(a)]
    if not parts:
        return pa.array([], type=pa.string())
    t = parts[0].type
    return pc.unique(pa.concat_arrays([a.cast(t) for a in parts]))


def changed_rows(old: pa.Table | None, new: pa.Table | None, key: str = "key", *,
                 ignore: tuple[str, ...] = (), force: set | None = None) -> tuple[list[dict], list[Any]]:
    """(rows of `new` that are new or differ from `old`, plus those keyed in `force`; keys of `old`
    gone from `new`)."""
    m, diff = _merged(old, new, key, ignore)
    if force:
        diff = pc.or_(diff, pc.is_in(m.column(key), value_set=pa.array(sorted(force),
                                                                       type=m.schema.field(key).type)))
    return _pick(new, key, _keys(m, key, diff)), _gone(old, new, key).to_pylist()


def _replaced(prev: Previous, folder: Path, manifest: dict, nodes: str, links: str, link_to: str
              ) -> tuple[list[dict], list[dict], list[Any]]:
    """Entities or groups: (node rows to create, link rows to create, node keys to delete first):
    the nodes whose row changed, that are gone, or one of whose links (party -> node) changed."""
    old_n, new_n = prev.table("network", nodes), _table(folder, manifest, nodes)
    old_l, new_l = prev.table("network", links), _table(folder, manifest, links)
    m, diff = _merged(old_n, new_n, "key")
    lm, ldiff = _merged(old_l, new_l, "party")
    gone = _gone(old_l, new_l, "party")  # parties that lost their link: their old node changed
    lost = old_l.filter(pc.is_in(old_l.column("party"), value_set=gone)).column(link_to).combine_chunks() \
        if old_l is not None and len(gone) else pa.array([], type=pa.string())
    moved = [_keys(lm, link_to, ldiff)]
    if f"{link_to}_old" in lm.column_names:
        moved.append(_keys(lm, f"{link_to}_old", ldiff))
    touched = _union(_keys(m, "key", diff), _gone(old_n, new_n, "key"), *moved, lost)
    return _pick(new_n, "key", touched), _pick(new_l, link_to, touched), sorted(touched.to_pylist())


def network_rows(prev: Previous, folder: Path, manifest: dict, provisional: set[str]
                 ) -> tuple[dict[str, list[dict]], dict[str, list[Any]]]:
    """The network parts to write (only what changed) and the entity and group keys to delete first."""
    rows: dict[str, list[dict]] = {}
    rows["parties"], _ = changed_rows(prev.table("network", "parties"), _table(folder, manifest, "parties"),
                                      ignore=("scored_at",), force=provisional)
    ents, links, ent_keys = _replaced(prev, folder, manifest, "entities", "resolved_to", "entity")
    rows["entities"], rows["resolved_to"] = ents, links
    grps, members, grp_keys = _replaced(prev, folder, manifest, "groups", "member_of", "group")
    rows["groups"], rows["member_of"] = grps, members
    for part in manifest["files"]:
        if part.startswith("identifiers."):
            rows[part], _ = changed_rows(prev.table("network", part), _table(folder, manifest, part))
    return rows, {"entities": ent_keys, "groups": grp_keys}


#: declaration parts diffed by key, and the part whose keys are cleared when gone
DIFFED = ("cover", "unit_values", "hs_switches", "assessments", "profile_hits")


def declaration_rows(prev: Previous, folder: Path, manifest: dict
                     ) -> tuple[dict[str, list[dict]], dict[str, list[Any]]] | None:
    """The declaration parts to write (only what changed; every part of the manifest keeps its
    name, so the writer's choices stay a full write's) and the keys to clear, per part; None when
    the run produced other parts than the kept one (then every row is written)."""
    def present(m: dict, folder: Path) -> set:
        return {r["part"] for r in _rows(_table(folder, m, "present"))}

    if present(prev.declarations, prev.folder) != present(manifest, folder) \
            or set(prev.declarations["files"]) != set(manifest["files"]):
        return None
    rows: dict[str, list[dict]] = {}
    cleared: dict[str, list[Any]] = {}
    for part in manifest["files"]:
        new = _table(folder, manifest, part)
        if part in DIFFED:
            rows[part], cleared[part] = changed_rows(prev.table("declarations", part), new)
        else:  # present, stale_lanes (from the store's own lanes), trader_categories (append-only)
            rows[part] = _rows(new)
    return rows, cleared


class Snapshot:
    """A run's hand-off folder, kept as the next run's `Previous` once the run's report is stored."""

    def __init__(self, folder: Path, network: dict, declarations: dict):
        self.folder, self.network, self.declarations = folder, network, declarations

    def commit(self, data_dir: Path, run: str) -> None:
        """Keep the hand-off as the data folder's `handoff/` (replacing the earlier one). Killed in
        between, there is no kept hand-off, and the next run writes in full."""
        for f in self.folder.iterdir():
            if f.name.startswith("state.") or f.name == "report.json":
                f.unlink()
        (self.folder / META).write_bytes(orjson.dumps({"run": run, "network": self.network,
                                                       "declarations": self.declarations}))
        target = Path(data_dir) / SNAPSHOT
        old = self.folder.with_name(f"{self.folder.name}-old")  # the owner's prefix: removed if it dies
        if target.exists():
            target.rename(old)
        self.folder.rename(target)
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        if self.folder.exists() and self.folder.name != SNAPSHOT:
            shutil.rmtree(self.folder, ignore_errors=True)


def forget(data_dir: Path) -> None:
    """Drop the kept hand-off (the next run writes in full)."""
    shutil.rmtree(Path(data_dir) / SNAPSHOT, ignore_errors=True)


__all__ = ["SNAPSHOT", "Previous", "Snapshot", "changed_rows", "declaration_rows", "forget", "network_rows",
           "previous"]
