"""The plan of a run: which inputs feed which contract file, checked before anything is written.

An input is a physical file of a bundle folder or a list of rows handed over in memory
(`ingest_rows`); both become `Source`s, which the reader turns into the same batches of raw
rows, so that the rows of both pass the same validation, quarantine and load.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graph.domain import schema
from ingest import readers
from ingest.profiles import FileMapping, Profile
from ingest.validate import BundleError


@dataclass(frozen=True)
class Source:
    """One input of a contract file: a physical file (`path`) or rows in memory (`rows`, values as
    strings). `name` is how the report and the quarantine name it."""

    name: str
    header: list[str]
    path: Path | None = None
    rows: list[dict[str, str]] | None = None

    @property
    def size(self) -> int:
        """Bytes on disk (0 for rows in memory): big files get a reader process."""
        return self.path.stat().st_size if self.path is not None else 0

    def batches(self, batch_size: int, limits: readers.ReadLimits) -> Iterator[list[readers.RawRow]]:
        if self.path is not None:
            return readers.read_batches(self.path, batch_size, limits)
        rows = (readers.checked_row(i, r, limits) for i, r in enumerate(self.rows or (), start=1))
        return readers.in_batches(rows, batch_size)


@dataclass
class FilePlan:
    """The inputs of one contract file, and the profile's mapping of their columns."""

    name: str
    mapping: FileMapping
    sources: list[Source]


def plan_bundle(profile: Profile, folder: Path, max_file_bytes: int) -> dict[str, FilePlan]:
    """Which physical files feed which contract file; raise `BundleError` for any missing required
    file or column, a file over `max_file_bytes`, or a symbolic link that leaves the folder (its
    target is outside what the operator named). Reads headers only: nothing is written before
    this passes."""
    if not folder.is_dir():
        raise BundleError(f"bundle folder not found: {folder}", file=None)
    plans: dict[str, FilePlan] = {}
    for bf in schema.FILES:
        mapping = profile.mapping(bf.name)
        synthesised = bf.name == "parties" and profile.synthesise_parties is not None
        paths = mapping.paths(folder) if mapping else []
        if not paths:
            if bf.required and not synthesised:
                want = ", ".join(mapping.sources) if mapping else f"{bf.name}.csv"
                raise BundleError(f"required file {bf.name!r} is missing from {folder} (looked for {want})",
                                  file=bf.name)
            continue
        assert mapping is not None  # paths come from a mapping
        sources = []
        for p in paths:
            _check_inside(p, folder, bf.name)
            size = p.stat().st_size
            if size > max_file_bytes:
                raise BundleError(f"{p.name}: {size:,} bytes, more than {max_file_bytes:,} "
                                  "(setting ingest_max_file_bytes)", file=bf.name)
            try:
                header = readers.read_header(p)
            except (OSError, UnicodeDecodeError, ValueError) as e:
                raise BundleError(f"cannot read the header of {p.name}: {e}", file=bf.name) from e
            _check_header(mapping, header, p.name, bf.name)
            sources.append(Source(p.name, header, path=p))
        plans[bf.name] = FilePlan(bf.name, mapping, sources)
    if profile.synthesise_parties is not None and profile.synthesise_parties.from_file not in plans:
        raise BundleError(f"profile {profile.name}: parties come from "
                          f"{profile.synthesise_parties.from_file!r}, "
                          "which is missing", file=profile.synthesise_parties.from_file)
    return plans


def plan_rows(profile: Profile, rows: dict[str, list[dict[str, object]]]) -> dict[str, FilePlan]:
    """The plan of rows handed over in memory, keyed by contract file; the same checks as a
    bundle's (required files and columns, unknown files). Values become strings as a CSV holds
    them: None is empty, a date its ISO form."""
    unknown = sorted(set(rows) - {f.name for f in schema.FILES})
    if unknown:
        raise BundleError(f"unknown contract file "
                          f"{unknown[0]!r} (known: {', '.join(f.name for f in schema.FILES)})",
                          file=unknown[0])
    plans: dict[str, FilePlan] = {}
    for bf in schema.FILES:
        given = rows.get(bf.name)
        mapping = profile.mapping(bf.name)
        if given is None or mapping is None:
            if bf.required and not (bf.name == "parties" and profile.synthesise_parties is not None):
                raise BundleError(f"required file {bf.name!r} is missing from the rows", file=bf.name)
            continue
        header = list(dict.fromkeys(k for r in given for k in r))
        if given:  # no rows (offences only, say): no header to check
            _check_header(mapping, header, f"{bf.name} (rows)", bf.name)
        text = [{k: ("" if r.get(k) is None else _text(r[k])) for k in header} for r in given]
        plans[bf.name] = FilePlan(bf.name, mapping, [Source(f"{bf.name} (rows)", header, rows=text)])
    return plans


def _text(v: object) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def _check_header(mapping: FileMapping, header: list[str], name: str, file: str) -> None:
    missing = mapping.missing_required(header)
    if missing:
        raise BundleError(f"{name}: required column {missing[0]!r} of {file!r} is missing",
                          file=file, column=missing[0].split(" ")[0])


def _check_inside(p: Path, folder: Path, file: str) -> None:
    """Refuse a file whose real path (symbolic links followed) is outside the bundle folder."""
    real = p.resolve()
    if not real.is_relative_to(folder.resolve()):
        raise BundleError(f"{p.name} is a symbolic link to "
                          f"{real}, outside the bundle folder {folder}: refused",
                          file=file)
