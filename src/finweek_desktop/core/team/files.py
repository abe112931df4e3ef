"""A team catalog's files: their content in the team database, a cache here.

The content lives in ``file_blobs`` / ``file_chunks``, addressed by the same
SHA-256 as the local store and cut into chunks of ``CHUNK_BYTES``; the local
store (``objects/`` by hash) becomes this desktop's cache of the files it
attached, opened or previewed. Why the database and not a shared folder:
benchmarks/README.md ("Team catalog: where the files live").

A file is published (``on_committed``) before the rows that refer to it
commit, as the local store makes a file live before its row: a crash leaves
at worst content no row refers to. Content no row refers to is deleted only
once it is older than ``KEEP_UNREFERENCED_SECONDS``, and publishing content
that exists renews its age: an attach on one desktop and a detach of the
same content on another never leave a row without its file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, and_, delete, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..attachments.store import AttachmentStore, fsync_dir, make_folder
from ..attachments.writers import temp_name
from ..models import Attachment, FileBlob, FileChunk, HeldFile, utcnow
from ..privacy import private_opener

CHUNK_BYTES = 1024 * 1024
KEEP_UNREFERENCED_SECONDS = 3600.0


class MissingFromTeam(FileNotFoundError):
    """The team database does not hold the content."""


class TeamAttachmentStore(AttachmentStore):
    """The attachment store of a team catalog: the database holds the files,
    ``root`` caches them on this computer by hash."""

    def __init__(self, root: Path, engine: Engine, chunk_bytes: int = CHUNK_BYTES):
        super().__init__(root)
        self.engine = engine
        self.chunk_bytes = chunk_bytes

    # -- publishing ----------------------------------------------------------

    def on_committed(self, sha256: str) -> None:
        self.publish(self.path_for(sha256), sha256)

    def publish(self, path: Path, sha256: str) -> bool:
        """Put the content of ``path`` in the team database; False when it was
        there already (its age is renewed, see the module's docstring)."""
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(FileBlob).where(FileBlob.sha256 == sha256).values(added_at=utcnow())
            ).rowcount
            if renewed:
                return False
        size = path.stat().st_size
        chunks = max(1, -(-size // self.chunk_bytes))
        try:
            with self.engine.begin() as connection, open(path, "rb") as handle:
                connection.execute(insert(FileBlob).values(sha256=sha256, size=size, chunks=chunks, added_at=utcnow()))
                for n in range(chunks):
                    data = handle.read(self.chunk_bytes)
                    connection.execute(insert(FileChunk).values(sha256=sha256, n=n, data=data))
        except IntegrityError:
            return False  # another desktop published the same content meanwhile
        return True

    # -- reading -------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        with self.engine.connect() as connection:
            return connection.scalar(select(FileBlob.sha256).where(FileBlob.sha256 == sha256)) is not None

    def local_path(self, sha256: str) -> Path:
        """The cached copy, fetched from the team database when this desktop does not have it yet."""
        path = self.path_for(sha256)
        if path.is_file():
            return path
        try:
            self.fetch(sha256)
        except MissingFromTeam:
            pass  # a lost file: `check` reports it; the caller says it is missing
        return path

    def fetch(self, sha256: str) -> Path:
        """Copy the content into the cache (checked against its hash)."""
        target = self.path_for(sha256)
        make_folder(self.tmp)
        temp = self.tmp / temp_name()
        digest = hashlib.sha256()
        try:
            with self.engine.connect() as connection, open(temp, "xb", opener=private_opener) as handle:
                chunks = connection.scalar(select(FileBlob.chunks).where(FileBlob.sha256 == sha256))
                if chunks is None:
                    raise MissingFromTeam(2, "the team catalog does not hold this file", sha256)
                for n in range(chunks):
                    data = connection.scalar(select(FileChunk.data).where(FileChunk.sha256 == sha256, FileChunk.n == n))
                    if data is None:
                        raise MissingFromTeam(2, f"the team catalog lost part {n} of this file", sha256)
                    digest.update(data)
                    handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if digest.hexdigest() != sha256:
                raise OSError(f"the team catalog's copy of {sha256} is damaged (its content does not match)")
            make_folder(target.parent)
            os.replace(temp, target)
            fsync_dir(target.parent)
        finally:
            temp.unlink(missing_ok=True)
        return target

    def hashes(self) -> Iterator[str]:
        """The content the team database holds: what `check` compares the rows
        with. Content younger than ``KEEP_UNREFERENCED_SECONDS`` that no row
        refers to yet is an attach in progress on some desktop, not a leftover."""
        cutoff = utcnow() - dt.timedelta(seconds=KEEP_UNREFERENCED_SECONDS)
        with self.engine.connect() as connection:
            rows = connection.scalars(
                select(FileBlob.sha256).where(or_(FileBlob.added_at < cutoff, _referenced())).order_by(FileBlob.sha256)
            ).all()
        yield from rows

    # -- releasing -----------------------------------------------------------

    def delete(self, sha256: str) -> bool:
        """Drop the cached copy, and the team's copy when no row refers to it
        and it is old enough (see the module's docstring)."""
        cached = super().delete(sha256)
        cutoff = utcnow() - dt.timedelta(seconds=KEEP_UNREFERENCED_SECONDS)
        with self.engine.begin() as connection:
            gone = connection.execute(
                delete(FileBlob).where(FileBlob.sha256 == sha256, FileBlob.added_at < cutoff, ~_referenced())
            ).rowcount
        return bool(cached or gone)

    def quarantine(self, sha256: str) -> bool:
        """Keep a copy in this desktop's quarantine, then drop the team's copy (as ``delete``)."""
        try:
            self.local_path(sha256)
        except OSError:
            return False
        kept = super().quarantine(sha256)
        return self.delete(sha256) or kept


def _referenced():
    return or_(
        exists().where(and_(Attachment.sha256 == FileBlob.sha256)),
        exists().where(and_(HeldFile.sha256 == FileBlob.sha256)),
    )
