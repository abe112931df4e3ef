"""The content-addressed attachment store.

A file lives at ``objects/<first two hex digits>/<sha256>``, so the same
content attached twice is stored once. Files arrive through ``stage``: the
bytes are copied to ``tmp/`` while hashed, fsynced, and only renamed into
``objects/`` by ``StagedFile.commit``. The caller commits the database row
after that, so a crash leaves either a complete file or a temporary one,
and never a row pointing at nothing. Leftovers (temporary files, files no
row refers to) are what ``finweek check`` reports and ``--repair`` removes.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from ..filelock import FileLock

_CHUNK = 1024 * 1024


class AttachmentStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.previews = self.root / "previews"
        # Held while a file is made live and its row committed, and while
        # unreferenced files are deleted, so one cannot undo the other, in
        # this process or another one writing to the same catalog.
        self.lock = FileLock(self.root / "store.lock")

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.objects / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def stage(self, source: Path) -> StagedFile:
        """Copy ``source`` to a temporary file, hashing and fsyncing it."""
        source = Path(source)
        if not source.is_file():
            raise FileNotFoundError(2, "no such file", str(source))
        self.tmp.mkdir(parents=True, exist_ok=True)
        temp = self.tmp / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as src, open(temp, "xb") as dst:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                dst.flush()
                os.fsync(dst.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return StagedFile(self, temp, digest.hexdigest(), size, source)

    def delete(self, sha256: str) -> bool:
        """Remove a stored file and its cached previews; True if it existed."""
        path = self.path_for(sha256)
        existed = path.exists()
        path.unlink(missing_ok=True)
        for preview in self.previews.glob(f"{sha256[:2]}/{sha256}-*"):
            preview.unlink(missing_ok=True)
        return existed

    def hashes(self) -> Iterator[str]:
        """Every stored file's hash (names that are not hashes are skipped)."""
        if not self.objects.is_dir():
            return
        for folder in sorted(self.objects.iterdir()):
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    if path.is_file() and path.name[:2] == folder.name and len(path.name) == 64:
                        yield path.name

    def temp_files(self) -> list[Path]:
        return sorted(self.tmp.glob("*.part")) if self.tmp.is_dir() else []


class StagedFile:
    """A fully written temporary copy, not yet part of the store.

    Use as a context manager: leaving it without ``commit`` removes the copy.
    """

    def __init__(self, store: AttachmentStore, temp: Path, sha256: str, size: int, source: Path):
        self.store = store
        self.temp = temp
        self.sha256 = sha256
        self.size = size
        self.source = source
        self.committed = False

    def commit(self) -> bool:
        """Move the copy into the store; False when the content was there already."""
        target = self.store.path_for(self.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            self.discard()
            self.committed = True
            return False
        os.replace(self.temp, target)
        _fsync_dir(target.parent)
        self.committed = True
        return True

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(self, *exc) -> None:
        if not self.committed:
            self.discard()


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
