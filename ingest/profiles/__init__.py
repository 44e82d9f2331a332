"""Mapping profiles: declarative TOML files that turn another export into the data contract.

A profile names, per contract file, the physical files that feed it (globs in the bundle folder),
which source column becomes which contract column, constants, value maps (`"1"` -> `violation`)
and defaults for empty cells; columns it does not map are kept as `extra`. A source without a
parties file declares how parties are synthesised from the role columns of its declarations.
TOML because the standard library reads it (`tomllib`): no extra dependency for a few flat tables.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from graph.domain import schema
from ingest import readers
from ingest.validate import BundleError

HERE = Path(__file__).parent


class ProfileError(BundleError):
    """A profile that does not exist or does not fit the contract (a BundleError: nothing is
    written and the CLI exits with its bad-input status)."""


@dataclass(frozen=True)
class FileMapping:
    """How one contract file is fed. `columns` maps contract column -> source column;
    an identity mapping (`columns is None`) passes contract columns through by name."""

    name: str
    sources: tuple[str, ...]
    columns: dict[str, str] | None = None
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    def paths(self, folder: Path) -> list[Path]:
        """The physical files in `folder` that feed this contract file, in profile order."""
        out: list[Path] = []
        for pattern in self.sources:
            for p in sorted(folder.glob(pattern)):
                if p.is_file() and p not in out and p.name.lower().endswith(readers.SUFFIXES):
                    out.append(p)
        if self.columns is None:
            return out[:1]  # the contract's <name>.csv | .csv.gz | .parquet: one of them, in that order
        return out

    def source_column(self, contract_column: str) -> str | None:
        """The source column that gives a contract column (None if a constant or unmapped)."""
        if self.columns is None:
            return contract_column
        return self.columns.get(contract_column)

    def missing_required(self, header: list[str]) -> list[str]:
        """Required contract columns that this header cannot give (named as in the contract)."""
        bf = schema.FILE_BY_NAME[self.name]
        have = set(header)
        out = []
        for col in bf.required_columns:
            if col in self.constants:
                continue
            src = self.source_column(col)
            if src is None or src not in have:
                out.append(col if src in (None, col) else f"{col} (source column {src!r})")
        return out

    def mapper(self, header: list[str]):
        """A function: a batch of raw rows (dicts holding every header column, as the readers give
        them) -> (contract columns as lists of stripped strings, extra columns per row or None when
        the files have no column outside the mapping). Column-wise: the loader validates columns."""
        bf = schema.FILE_BY_NAME[self.name]
        contract_cols = [c.name for c in bf.columns]
        if self.columns is None:
            pairs = [(c, c) for c in contract_cols if c in header]
        else:
            pairs = [(c, s) for c, s in self.columns.items() if s in header]
        used = {s for _, s in pairs}
        extra_cols = [h for h in header if h not in used and h not in contract_cols] if self.columns is None \
            else [h for h in header if h not in used]
        constants = dict(self.constants)
        values = self.values
        defaults = self.defaults

        def apply(raws: list[dict[str, str]]) -> tuple[dict[str, list[str]], list[dict[str, str]] | None]:
            n = len(raws)
            out: dict[str, list[str]] = {}
            for c, s in pairs:
                col = [r[s].strip() for r in raws]
                vm = values.get(c)
                out[c] = [vm.get(v, v) for v in col] if vm else col
            for c, v in constants.items():
                out[c] = [v] * n
            for c, v in defaults.items():
                have = out.get(c)
                out[c] = [x or v for x in have] if have is not None else [v] * n
            extra = None
            if extra_cols:
                extra = [{h: r[h] for h in extra_cols if r.get(h, "") != ""} for r in raws]
            return out, extra

        return apply


@dataclass(frozen=True)
class PartySynthesis:
    """Parties made from the ids seen in role columns (for sources without a parties file)."""

    from_file: str
    columns: tuple[str, ...]
    name: str = "{party_id}"
    kind: str = "company"


@dataclass(frozen=True)
class Profile:
    name: str
    source: str
    description: str
    files: dict[str, FileMapping]
    synthesise_parties: PartySynthesis | None = None

    def mapping(self, file: str) -> FileMapping | None:
        return self.files.get(file)


def available() -> list[str]:
    """Names of the profiles shipped with Tamga."""
    return sorted(p.stem for p in HERE.glob("*.toml"))


@lru_cache
def load_profile(name_or_path: str) -> Profile:
    """A profile by name (`contract`, `kcs`) or by the path of a TOML file."""
    p = Path(name_or_path)
    if not p.suffix:
        p = HERE / f"{name_or_path}.toml"
    if not p.exists():
        raise ProfileError(f"no mapping profile {name_or_path!r}; available: {', '.join(available())}")
    with p.open("rb") as f:
        d = tomllib.load(f)
    return _build(d, p)


def _build(d: dict, path: Path) -> Profile:
    name = d.get("name") or path.stem
    defaults_all: dict[str, str] = {str(k): str(v) for k, v in d.get("defaults", {}).items()}

    def defaults_for(file: str) -> dict[str, str]:
        return {k.split(".", 1)[1]: v for k, v in defaults_all.items() if k.split(".", 1)[0] == file}

    files: dict[str, FileMapping] = {}
    if d.get("identity"):
        for bf in schema.FILES:
            files[bf.name] = FileMapping(bf.name, tuple(f"{bf.name}{s}" for s in readers.SUFFIXES),
                                         None, defaults=defaults_for(bf.name))
    for fname, spec in d.get("files", {}).items():
        if fname not in schema.FILE_BY_NAME:
            raise ProfileError(f"profile {name}: {fname!r} is not a contract file")
        bf = schema.FILE_BY_NAME[fname]
        cols = {str(k): str(v) for k, v in spec.get("columns", {}).items()}
        consts = {str(k): str(v) for k, v in spec.get("constants", {}).items()}
        for c in (*cols, *consts):
            if bf.column(c) is None:
                raise ProfileError(f"profile {name}: {fname}.{c} is not a contract column")
        files[fname] = FileMapping(
            fname, tuple(spec.get("sources", [f"{fname}{s}" for s in readers.SUFFIXES])), cols, consts,
            {str(k): {str(a): str(b) for a, b in v.items()} for k, v in spec.get("values", {}).items()},
            defaults_for(fname),
        )
    synth = None
    if "parties" in d:
        ps = d["parties"]
        synth = PartySynthesis(ps.get("synthesise_from", "declarations"), tuple(ps["columns"]),
                               ps.get("name", "{party_id}"), ps.get("kind", "company"))
        for c in synth.columns:
            if c not in schema.PARTY_ROLES:
                raise ProfileError(f"profile {name}: {c!r} is not a party role column")
    return Profile(name, d.get("source", name), d.get("description", ""), files, synth)
