"""The content-addressed attachment store.

A file lives at ``objects/<first two hex digits>/<sha256>``, so the same
content attached twice is stored once. Files arrive through ``stage``: the
bytes are copied to ``tmp/`` while hashed, fsynced, and only renamed into
``objects/`` by ``StagedFile.commit``. The caller commits the database row
after that, so a crash leaves either a complete file or a temporary one,
and never a row pointing at nothing. Leftovers (temporary files, files no
row refers to) are what ``finweek check`` reports; ``--repair`` removes the
temporary ones and moves the others to ``quarantine/``. A temporary file is
named after the process writing it (writers.py): it is a leftover as soon as
that process is no longer running, and the next open removes it
(``remove_leftovers``); one whose writer cannot be judged counts only once it
is old enough not to be an attach in progress.

Bulk imports write thousands of files: ``stage_bytes(..., sync=False)``
leaves the data unsynced and ``commit_many`` syncs a whole batch at once
(the fsyncs run in parallel threads, so the file system groups them), moves
every copy into place and then syncs each directory it touched once. The
guarantee is the same: every file is durable in ``objects/`` when
``commit_many`` returns, before the caller commits the rows.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from ..privacy import PRIVATE_DIR, private_opener
from .writers import temp_name, writer_gone

_INTENT = ".commit"  # the note of a commit in progress (see committing())

_CHUNK = 1024 * 1024
# A file is staged, then parsed (up to a minute per file in the sandbox),
# then committed: a copy this old is a crash's leftover, not work in progress
# (for a copy whose writing process cannot be asked about).
LEFTOVER_AFTER_SECONDS = 10 * 60


class AttachmentStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.previews = self.root / "previews"
        # Where repair puts files no row refers to: never deleted but on request.
        self.quarantine_dir = self.root / "quarantine"
        # The temporary copies of ended processes that remove_leftovers deleted.
        self.removed_leftovers: list[Path] = []
        # Held while a file is made live and its row committed, and while
        # unreferenced files are deleted, so one cannot undo the other, in
        # this process or another one writing to the same catalog.
        # Thread-local (filelock's default): re-entrant in a thread, and it
        # excludes this process's other threads as well as other processes.
        self.lock = FileLock(self.root / "store.lock", mode=0o600)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.objects / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def local_path(self, sha256: str) -> Path:
        """A file on this computer holding the content, to open, preview or
        export; it may not exist (a lost file: `check` reports it). A store
        that keeps content elsewhere (a team's database) fetches it first."""
        return self.path_for(sha256)

    def on_committed(self, sha256: str) -> None:
        """Called once a staged file is live in ``objects/`` (or was there
        already), before the rows that refer to it commit. A store that
        shares its content (a team's database) publishes it here."""

    def local_usage(self) -> tuple[int, int]:
        """How many files this computer holds, and their bytes."""
        count = size = 0
        for sha256 in AttachmentStore.hashes(self):
            try:
                size += self.path_for(sha256).stat().st_size
            except FileNotFoundError:
                continue
            count += 1
        return count, size

    def stage(self, source: Path) -> StagedFile:
        """Copy ``source`` to a temporary file, hashing and fsyncing it."""
        source = Path(source)
        if not source.is_file():
            raise FileNotFoundError(2, "no such file", str(source))
        make_folder(self.tmp)
        temp = self.tmp / temp_name()
        digest = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as src, open(temp, "xb", opener=private_opener) as dst:
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

    def stage_bytes(self, data: bytes, *, sync: bool = True) -> StagedFile:
        """A temporary copy of ``data``; with ``sync=False`` its fsync is left
        to ``commit_many``, which syncs a whole batch at once."""
        make_folder(self.tmp)
        temp = self.tmp / temp_name()
        try:
            with open(temp, "xb", opener=private_opener) as dst:
                dst.write(data)
                if sync:
                    dst.flush()
                    os.fsync(dst.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        staged = StagedFile(self, temp, hashlib.sha256(data).hexdigest(), len(data), None)
        staged.synced = sync
        return staged

    def commit_many(self, staged: Sequence[StagedFile]) -> None:
        """Make every staged copy live: their data synced, renamed into
        ``objects/``, then one fsync per directory touched. Hold ``lock``
        around this and the commit of the rows that refer to the files."""
        unsynced = [s for s in staged if not s.committed and not s.synced]
        if unsynced:
            with ThreadPoolExecutor(max_workers=min(16, len(unsynced))) as pool:
                list(pool.map(_fsync_file, [s.temp for s in unsynced]))
            for s in unsynced:
                s.synced = True
        folders: set[Path] = set()
        for s in staged:
            if not s.committed and s.commit(sync_dir=False):
                folders.add(self.path_for(s.sha256).parent)
        if folders:
            with ThreadPoolExecutor(max_workers=min(16, len(folders))) as pool:
                list(pool.map(fsync_dir, sorted(folders)))

    def delete(self, sha256: str) -> bool:
        """Remove a stored file and its cached previews; True if it existed."""
        path = self.path_for(sha256)
        existed = path.exists()
        path.unlink(missing_ok=True)
        for preview in self.previews.glob(f"{sha256[:2]}/{sha256}-*"):
            preview.unlink(missing_ok=True)
        return existed

    def quarantine(self, sha256: str) -> bool:
        """Move a stored file out of ``objects/`` into the quarantine, where
        `finweek check` lists it until it is purged; True if it existed."""
        path = self.path_for(sha256)
        if not path.exists():
            return False
        make_folder(self.quarantine_dir)
        os.replace(path, self.quarantine_dir / sha256)
        fsync_dir(self.quarantine_dir)
        for preview in self.previews.glob(f"{sha256[:2]}/{sha256}-*"):
            preview.unlink(missing_ok=True)
        return True

    def quarantined(self) -> list[Path]:
        return sorted(p for p in self.quarantine_dir.iterdir() if p.is_file()) if self.quarantine_dir.is_dir() else []

    def purge_quarantine(self) -> int:
        """Delete every quarantined file; returns how many."""
        files = self.quarantined()
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)

    def count_files(self) -> int:
        return sum(1 for _ in self.hashes())

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
        """Every temporary copy, including those of attaches in progress."""
        return sorted(self.tmp.glob("*.part")) if self.tmp.is_dir() else []

    def leftover_temp_files(self, grace: float = LEFTOVER_AFTER_SECONDS) -> list[Path]:
        """Temporary copies left by a crash: at once those whose writing
        process is no longer running; those whose writer cannot be asked
        about once untouched for ``grace`` seconds.

        A copy of a running process belongs to an attach or an import still
        copying or parsing, which its commit would miss if it were gone."""
        cutoff = time.time() - grace
        leftovers = []
        for path in self.temp_files():
            gone = writer_gone(path.name)
            try:
                if gone or (gone is None and path.stat().st_mtime < cutoff):
                    leftovers.append(path)
            except FileNotFoundError:
                pass  # committed or discarded meanwhile
        return leftovers

    @contextmanager
    def committing(self, hashes: Iterable[str]) -> Iterator[None]:
        """Around making files live and committing the rows that refer to
        them (under ``lock``): a note names the files, so that if this process
        dies in between, the next start removes those no row refers to."""
        self.tmp.mkdir(PRIVATE_DIR, parents=True, exist_ok=True)
        note = self.tmp / temp_name().replace(".part", _INTENT)
        with open(note, "x", opener=private_opener) as handle:
            handle.write("\n".join(hashes))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            yield
        finally:
            note.unlink(missing_ok=True)

    def interrupted_commits(self) -> list[tuple[Path, list[str]]]:
        """The notes of commits whose process ended before finishing, with
        the hashes each named."""
        found = []
        for note in sorted(self.tmp.glob(f"*{_INTENT}")) if self.tmp.is_dir() else []:
            if writer_gone(note.name.replace(_INTENT, ".part")):
                try:
                    found.append((note, [h for h in note.read_text().split() if h]))
                except OSError:
                    continue  # handled by another process's start meanwhile
        return found

    def remove_leftovers(self) -> list[Path]:
        """Delete the temporary copies of processes that are no longer running
        (no lock needed: only its writer could have committed one); returns
        them, and adds them to ``removed_leftovers``. Never fails: a folder
        that cannot be changed (a read-only one) keeps them for `check`."""
        removed = []
        for path in self.temp_files():
            if writer_gone(path.name):
                try:
                    path.unlink()
                except OSError:
                    continue  # removed by another process's start, or read-only
                removed.append(path)
        self.removed_leftovers.extend(removed)
        return removed


class StagedFile:
    """A fully written temporary copy, not yet part of the store.

    Use as a context manager: leaving it without ``commit`` removes the copy.
    """

    def __init__(self, store: AttachmentStore, temp: Path, sha256: str, size: int, source: Path | None):
        self.store = store
        self.temp = temp
        self.sha256 = sha256
        self.size = size
        self.source = source
        self.committed = False
        self.synced = True  # the data is on disk (stage_bytes(sync=False) leaves it to commit_many)

    def commit(self, sync_dir: bool = True) -> bool:
        """Move the copy into the store; False when the content was there already.

        ``sync_dir=False`` leaves the directory's fsync to the caller
        (``AttachmentStore.commit_many`` syncs each directory once)."""
        if not self.synced:
            _fsync_file(self.temp)
            self.synced = True
        target = self.store.path_for(self.sha256)
        make_folder(target.parent)
        if target.exists():
            self.discard()
            self.committed = True
            self.store.on_committed(self.sha256)
            return False
        os.replace(self.temp, target)
        if sync_dir:
            fsync_dir(target.parent)
        self.committed = True
        self.store.on_committed(self.sha256)
        return True

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(self, *exc) -> None:
        if not self.committed:
            self.discard()


def make_folder(path: Path) -> None:
    """Create ``path`` and any missing parents, each durably and private to
    the user: a new folder's name lives in its parent, which is synced too
    (rare: 256 shards at most)."""
    if path.is_dir():
        return
    make_folder(path.parent)
    path.mkdir(PRIVATE_DIR, exist_ok=True)  # another thread or process may be making it too
    fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
