"""The trash: deleted documents kept whole, with their files, until restored
or purged (after ``retention_days``, 30 by default; FINWEEK_TRASH_DAYS).

Deleting moves a document's snapshot (fields, links, attachment rows and
their text) into a ``trash`` row and deletes the document, in one
transaction; its stored files stay, held by ``held_files`` rows, so a
restore needs nothing but the database. Purging releases the files nothing
else refers to, as a detach does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from ..changes import ChangeSet
from ..models import Document, HeldFile, TrashItem, utcnow
from .common import NotFound
from .snapshots import document_snapshot, restore_document
from .writer import CatalogWriter, retried

TRASH_DAYS_ENV = "FINWEEK_TRASH_DAYS"
DEFAULT_RETENTION_DAYS = 30


@dataclass(frozen=True)
class TrashEntry:
    id: int
    document_id: int
    kind: str
    title: str
    deleted_at: dt.datetime
    files: int

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "document_id": self.document_id,
            "kind": self.kind,
            "title": self.title,
            "deleted_at": self.deleted_at.isoformat(),
            "files": self.files,
        }


def retention_days() -> int:
    try:
        return max(0, int(os.environ.get(TRASH_DAYS_ENV, DEFAULT_RETENTION_DAYS)))
    except ValueError:
        return DEFAULT_RETENTION_DAYS


class Trash:
    def __init__(self, writer: CatalogWriter, retention: int | None = None):
        self._writer = writer
        self.retention_days = retention_days() if retention is None else retention

    def put(self, session: DbSession, doc_ids: Iterable[int]) -> list[int]:
        """Move documents to the trash inside the caller's transaction; returns the trash ids."""
        ids = []
        for doc_id in doc_ids:
            snapshot = document_snapshot(session, doc_id)
            item = TrashItem(
                document_id=doc_id,
                kind=snapshot["kind"],
                title=snapshot["title"],
                snapshot=json.dumps(snapshot, ensure_ascii=False),
            )
            item.files = [HeldFile(sha256=sha) for sha in {a["sha256"] for a in snapshot["attachments"]}]
            session.add(item)
            session.delete(session.get(Document, doc_id))
            session.flush()
            ids.append(item.id)
        return ids

    def take_back(self, session: DbSession, trash_ids: Iterable[int]) -> list[int]:
        """Restore trashed documents inside the caller's transaction; returns their ids."""
        restored = []
        for trash_id in trash_ids:
            item = session.get(TrashItem, trash_id)
            if item is None:  # on a team catalog, maybe a colleague's desktop restored it a moment ago
                raise NotFound(
                    f"trash item {trash_id} is gone: restored or emptied from the trash meanwhile "
                    "(by someone else, or another window); nothing was restored"
                )
            restored.append(restore_document(session, json.loads(item.snapshot)))
            session.delete(item)
        return restored

    def entries(self) -> list[TrashEntry]:
        with self._writer.read() as session:
            items = session.scalars(select(TrashItem).order_by(TrashItem.deleted_at.desc(), TrashItem.id.desc()))
            return [TrashEntry(i.id, i.document_id, i.kind, i.title, i.deleted_at, len(i.files)) for i in items]

    @retried  # two desktops restoring the same item: the second finds it gone, and says so
    def restore(self, trash_id: int) -> ChangeSet:
        with self._writer.writing() as write:
            self.take_back(write.session, [trash_id])
        return write.changes

    def empty(self, older_than_days: int | None = None) -> int:
        """Purge the trash (or what is older than the given days); returns how many items."""
        with self._writer.writing() as write:
            query = select(TrashItem)
            if older_than_days is not None:
                query = query.where(TrashItem.deleted_at < utcnow() - dt.timedelta(days=older_than_days))
            items = list(write.session.scalars(query))
            for item in items:
                write.session.delete(item)  # its held files go with it, then are released
        return len(items)

    def purge_expired(self) -> int:
        return self.empty(self.retention_days)
