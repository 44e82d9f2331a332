"""Where an ingest job's bundle comes from: a folder under an allowed root, or an upload.

A path must resolve (symlinks followed) to a folder under one of `settings.ingest_roots`: a link
inside a root that points out of it resolves outside and is refused, as is anything when no root
is configured. The ingest itself refuses bundle files that link out of their folder.

An upload is multipart/form-data of bundle files, a .zip, or a .tar.gz, bounded (the edge caps the
body at `job_upload_max_bytes`; here files at `job_upload_max_files` and the extracted bytes at
`job_upload_max_expanded_bytes`, counted while copying, not believed from headers). Extraction is
flat: each member's base name must be a plain file name with a bundle suffix; directories are
ignored, links, devices and duplicate names refuse the upload. Multipart is parsed with the
standard library's MIME parser (python-multipart is not a dependency; the body is bounded anyway).
"""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path, PurePosixPath
from typing import IO

from graph.settings import Settings

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
SUFFIXES = (".csv", ".csv.gz", ".parquet", ".tsv", ".txt")
_COPY_CHUNK = 1 << 20


class UploadError(ValueError):
    """The upload or path is refused; the message says why (a 422, or 413 for `too_large`)."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


def allowed_path(given: str, roots: list[Path]) -> Path:
    """The bundle folder `given` resolves to, when it lies under an allowed root."""
    if not roots:
        raise UploadError("no bundle folder may be named: the server allows none "
                          "(setting TAMGA_INGEST_ROOTS); upload the bundle instead")
    try:
        real = Path(given).expanduser().resolve(strict=True)
    except (OSError, RuntimeError):
        raise UploadError(f"no such bundle folder: {given}") from None
    for root in roots:
        try:
            real.relative_to(Path(root).resolve())
        except ValueError:
            continue
        if not real.is_dir():
            raise UploadError(f"{given} is not a folder")
        return real
    raise UploadError(f"{given} is outside the folders this server may ingest from "
                      "(setting TAMGA_INGEST_ROOTS)")


def _safe_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    if not _NAME.match(base) or not base.lower().endswith(SUFFIXES):
        raise UploadError(f"file {name!r} refused: a bundle file is a plain name ending in "
                          f"{', '.join(SUFFIXES)}")
    return base


class _Writer:
    """Copies members into `dest`, counting files and bytes against the bounds."""

    def __init__(self, dest: Path, s: Settings):
        self.dest, self.s = dest, s
        self.names: set[str] = set()
        self.bytes = 0

    def add(self, name: str, src: IO[bytes]) -> None:
        base = _safe_name(name)
        if base in self.names:
            raise UploadError(f"file {base!r} appears twice in the upload")
        if len(self.names) >= self.s.job_upload_max_files:
            raise UploadError(f"more than {self.s.job_upload_max_files} files in the upload "
                              "(setting job_upload_max_files)", too_large=True)
        self.names.add(base)
        with open(self.dest / base, "xb") as out:
            while chunk := src.read(_COPY_CHUNK):
                self.bytes += len(chunk)
                if self.bytes > self.s.job_upload_max_expanded_bytes:
                    raise UploadError(f"the upload expands past {self.s.job_upload_max_expanded_bytes:,} "
                                      "bytes (setting job_upload_max_expanded_bytes)", too_large=True)
                out.write(chunk)


def _add_multipart(body: bytes, content_type: str, w: _Writer) -> None:
    msg = BytesParser(policy=policy.HTTP).parsebytes(
        b"MIME-Version: 1.0\r\nContent-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        raise UploadError("the multipart body could not be read (boundary missing or malformed)")
    for part in msg.iter_parts():
        name = part.get_filename()
        if not name:
            continue  # a plain form field
        payload = part.get_payload(decode=True)  # bytes, or None for a nested multipart
        w.add(name, io.BytesIO(payload if isinstance(payload, bytes) else b""))


def _add_zip(body: bytes, w: _Writer) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as e:
        raise UploadError(f"not a readable .zip: {e}") from None
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise UploadError(f"{info.filename!r} is a symbolic link: refused")
            with zf.open(info) as src:
                w.add(info.filename, src)


def _add_tar(body: bytes, w: _Writer) -> None:
    try:
        tf = tarfile.open(fileobj=io.BytesIO(body), mode="r:*")  # noqa: SIM115 — closed by the `with` below
    except (tarfile.TarError, OSError) as e:
        raise UploadError(f"not a readable .tar.gz: {e}") from None
    with tf:
        try:
            for m in tf:
                if m.isdir():
                    continue
                if not m.isfile():
                    raise UploadError(f"{m.name!r} is a link or special file: refused")
                src = tf.extractfile(m)
                if src is not None:
                    w.add(m.name, src)
        except (tarfile.TarError, EOFError, OSError) as e:
            raise UploadError(f"the archive is damaged: {e}") from None


def unpack(body: bytes, content_type: str, dest: Path, s: Settings) -> list[str]:
    """Write the uploaded bundle's files into `dest`; their names."""
    ct = content_type.split(";")[0].strip().lower()
    w = _Writer(dest, s)
    if ct == "multipart/form-data":
        _add_multipart(body, content_type, w)
    elif ct in ("application/zip", "application/x-zip-compressed"):
        _add_zip(body, w)
    elif ct in ("application/gzip", "application/x-gzip", "application/x-tar", "application/x-gtar",
                "application/x-compressed-tar"):
        _add_tar(body, w)
    else:
        raise UploadError(f"unsupported content type {ct!r}: send JSON with a path, multipart/form-data of "
                          "bundle files, application/zip or application/gzip (.tar.gz)")
    if not w.names:
        raise UploadError("the upload holds no bundle file")
    return sorted(w.names)
