"""Sealed archives: the .tar.gz files of ``hub backup`` (hub.backup) and ``hub group export`` (hub.group_archive).

Both hold a manifest of every file's size and SHA-256 and may hold private keys, so both are written
the same way: into ``NAME.partial`` (mode 600, never over an existing file), fsynced, then renamed
over ``NAME`` (:func:`written`): a killed writer leaves no archive that looks whole. Both are read the
same way too (:func:`read_through`): member by member, then on to the gzip trailer, whose CRC and
length find an archive cut off after tar's end-of-archive block; a truncated or damaged file is the
caller's error class, never a half-read archive. :func:`checked_manifest` and :func:`check_files`
hold the manifest checks both readers make.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ArchiveWriter:
    """Adds files to a new tar.gz (mode 600) and keeps their sizes and checksums for the manifest (``files``)."""

    def __init__(self, path: Path) -> None:
        self.file = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        self.tar = tarfile.open(fileobj=self.file, mode="w:gz", format=tarfile.PAX_FORMAT)
        self.files: dict[str, dict] = {}

    def add(self, source: Path, name: str, *, mode: int = 0o644) -> None:
        """Add the file ``source`` as ``name``, listed in the manifest; the owner and group are not kept."""
        info = self.tar.gettarinfo(str(source), arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = mode
        with source.open("rb") as handle:
            self.tar.addfile(info, handle)
        self.files[name] = {"size": info.size, "sha256": sha256_file(source)}

    def add_bytes(self, name: str, data: bytes, *, mode: int = 0o600, listed: bool = True) -> None:
        """Add ``data`` as ``name``; ``listed=False`` for the manifest itself."""
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), mode, int(datetime.now(UTC).timestamp())
        self.tar.addfile(info, io.BytesIO(data))
        if listed:
            self.files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def close(self) -> None:
        """Finish the archive and flush it to the disk."""
        self.tar.close()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()


@contextmanager
def written(path: Path, error: type[Exception], what: str) -> Iterator[ArchiveWriter]:
    """A writer whose archive becomes ``path`` when the block ends without an exception, and nothing otherwise.

    ``path`` must not exist and its directory must: ``error`` says so (``what``: "backup", "archive").
    """
    if path.exists():
        raise error(f"{path} already exists; choose a new file name ({what}s are never overwritten)")
    if not path.parent.is_dir():
        raise error(f"the directory {path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)  # left by a writer that was killed
    writer = ArchiveWriter(partial)
    try:
        yield writer
        writer.close()
        os.replace(partial, path)
    except BaseException:
        writer.file.close()
        partial.unlink(missing_ok=True)
        raise


def read_through(path: Path, take: Callable[[tarfile.TarInfo, IO[bytes] | None], None], error: type[Exception],
                 what: str) -> None:
    """Give every member of the archive at ``path`` to ``take`` (which raises ``error`` for one it refuses), then
    read on to the gzip trailer. A missing, truncated or damaged file is ``error``, naming ``what`` it should be."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                take(member, tar.extractfile(member))
            # tarfile stops at the end-of-archive block; gzip's trailer (CRC and length) comes after it
            while tar.fileobj.read(CHUNK):
                pass
    except FileNotFoundError:
        raise error(f"{path} does not exist") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise error(f"{path} is not a complete {what} (truncated or damaged: {exc})") from None


def checked_manifest(raw: bytes | None, path: Path, *, format_name: str, version: int, error: type[Exception],
                     what: str, advice: str) -> dict:
    """The manifest parsed from ``raw``, of format ``format_name`` at ``version``; ``error`` otherwise. ``advice``
    ends the message of a version this Causeway does not read (e.g. "restore it with the Causeway that made it")."""
    if raw is None:
        raise error(f"{path} has no manifest: it is truncated or not a Causeway {what}")
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise error(f"the manifest of {path} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != format_name:
        raise error(f"{path} is not a Causeway {what}")
    if manifest.get("version") != version:
        raise error(f"{path} is a {what} of format version {manifest.get('version')!r}; this Causeway reads "
                    f"version {version}: {advice} or a newer one")
    return manifest


def check_files(manifest: dict, found: dict[str, tuple[int, str]], path: Path, error: type[Exception], damage: str) -> None:
    """``error`` unless ``found`` ({name: (size, sha256)}) is exactly what the manifest lists; names the first few."""
    listed = {name: (entry.get("size"), entry.get("sha256")) for name, entry in (manifest.get("files") or {}).items()}
    if listed != found:
        bad = sorted(set(listed) ^ set(found)) or sorted(n for n in listed if listed[n] != found.get(n))
        raise error(f"{path} does not match its manifest ({', '.join(bad[:5])}): {damage}")
