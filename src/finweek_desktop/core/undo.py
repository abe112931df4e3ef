"""What undo needs from the catalog: snapshots taken before a change, and
their exact restoration afterwards.

Two kinds of change are undoable: deleting a document, and changing tags
(adding to or removing from documents, renaming, merging, deleting,
recolouring). Both restore through ``CatalogService.writing()``, so the
search index follows the database as for any other write. No Qt here.

Deleting a document releases its stored files, so ``delete_document`` here
first copies them (with their extracted text) to a holding folder; the
restore puts them back in the store under the store's lock.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session as DbSession

from .catalog import CatalogService
from .models import (
    Attachment,
    Document,
    DocumentOrganization,
    Event,
    Organization,
    Place,
    Tag,
    document_places,
    document_tags,
)
from .records import DocumentDetail


class UndoError(RuntimeError):
    """The change cannot be undone any more; the message is for the user."""


@dataclass(frozen=True)
class SavedFile:
    attachment_id: int
    sha256: str
    copy: Path | None  # None when the stored file was missing already
    text: str = ""
    text_status: str = "pending"
    text_message: str = ""


@dataclass(frozen=True)
class DeletedDocument:
    detail: DocumentDetail
    files: tuple[SavedFile, ...] = field(default=())


def delete_document(service: CatalogService, doc_id: int, holding: Path) -> DeletedDocument:
    """Delete a document, keeping what ``restore_document`` needs, files included."""
    detail = service.get_document(doc_id)
    files = []
    if detail.attachments and service.store is not None:
        holding.mkdir(parents=True, exist_ok=True)
        with DbSession(service.engine) as session:
            for info in detail.attachments:
                row = session.get(Attachment, info.id)
                source = service.store.path_for(info.sha256)
                copy = holding / info.sha256
                if source.is_file() and not copy.exists():
                    shutil.copy2(source, copy)
                files.append(
                    SavedFile(info.id, info.sha256, copy if copy.exists() else None,
                              row.text if row else "", row.text_status if row else "pending",
                              row.text_message if row else "")
                )
    service.delete_document(doc_id)
    return DeletedDocument(detail, tuple(files))


def restore_document(service: CatalogService, deleted: DeletedDocument | DocumentDetail) -> int:
    """Put a deleted document back, with its id, tags, links and attachments.

    Tags that were deleted since are recreated with their colour;
    organizations and places that no longer exist are skipped.
    """
    if isinstance(deleted, DocumentDetail):
        deleted = DeletedDocument(deleted)
    store = service.store
    if store is None or not deleted.files:
        return _restore(service, deleted)
    with store.lock:  # no release of "unreferenced" files between staging and commit
        for saved in deleted.files:
            if saved.copy is not None and not store.exists(saved.sha256):
                with store.stage(saved.copy) as staged:
                    if staged.sha256 != saved.sha256:
                        raise UndoError(f"the kept copy of attachment {saved.attachment_id} is damaged")
                    staged.commit()
        return _restore(service, deleted)


def _restore(service: CatalogService, deleted: DeletedDocument) -> int:
    detail = deleted.detail
    texts = {f.attachment_id: f for f in deleted.files}
    with service.writing() as (session, touched):
        if session.get(Document, detail.id) is not None:
            raise UndoError(f"a document with id {detail.id} exists already")
        event_id = None
        if detail.event:
            event_id = session.scalar(select(Event.id).where(Event.name == detail.event))
        session.add(
            Document(
                id=detail.id,
                kind=detail.kind,
                title=detail.title,
                subtitle=detail.subtitle,
                date=detail.date,
                language=detail.language,
                summary=detail.summary,
                notes=detail.notes,
                source=detail.source,
                event_id=event_id,
                session_id=detail.session_id,
                created_at=detail.created_at,
                modified_at=detail.modified_at,
            )
        )
        session.flush()
        for tag_info in detail.tags:
            tag = _tag(session, tag_info.name, tag_info.color)
            session.execute(insert(document_tags).values(document_id=detail.id, tag_id=tag.id))
        for ref in detail.organizations:
            if session.get(Organization, ref.id) is not None:
                session.add(DocumentOrganization(document_id=detail.id, organization_id=ref.id, role=ref.role))
        for name in detail.places:
            place_id = session.scalar(select(Place.id).where(Place.name == name))
            if place_id is not None:
                session.execute(insert(document_places).values(document_id=detail.id, place_id=place_id))
        for a in detail.attachments:
            saved = texts.get(a.id)
            extra = {}
            if saved is not None:
                extra = {"text": saved.text, "text_status": saved.text_status, "text_message": saved.text_message}
            session.add(
                Attachment(
                    id=a.id,
                    document_id=detail.id,
                    sha256=a.sha256,
                    original_name=a.original_name,
                    size=a.size,
                    mime_type=a.mime_type,
                    added_at=a.added_at,
                    **extra,
                )
            )
        session.flush()
        # onupdate may have bumped it during the flushes above
        session.execute(
            Document.__table__.update().where(Document.id == detail.id).values(modified_at=detail.modified_at)
        )
        touched.add(detail.id)
    return detail.id


@dataclass(frozen=True)
class TagState:
    name: str
    color: str | None
    document_ids: frozenset[int]


@dataclass(frozen=True)
class TagSnapshot:
    """The state of some tags: those that existed, and names that did not."""

    present: tuple[TagState, ...]
    absent: tuple[str, ...]


def snapshot_tags(service: CatalogService, names: Iterable[str]) -> TagSnapshot:
    """Remember the named tags (case-insensitively) before changing them."""
    present, absent = [], []
    seen = set()
    with DbSession(service.engine) as session:
        for name in names:
            key = " ".join(name.split()).casefold()
            if not key or key in seen:
                continue
            seen.add(key)
            tag = session.scalar(select(Tag).where(Tag.name_key == key))
            if tag is None:
                absent.append(" ".join(name.split()))
                continue
            ids = frozenset(session.scalars(select(document_tags.c.document_id).where(document_tags.c.tag_id == tag.id)))
            present.append(TagState(tag.name, tag.color, ids))
    return TagSnapshot(tuple(present), tuple(absent))


def restore_tags(service: CatalogService, snapshot: TagSnapshot) -> None:
    """Make the snapshot's tags exactly as they were (documents deleted since are skipped)."""
    with service.writing() as (session, touched):
        for name in snapshot.absent:
            tag = session.scalar(select(Tag).where(Tag.name_key == name.casefold()))
            if tag is not None:
                touched.update(session.scalars(select(document_tags.c.document_id).where(document_tags.c.tag_id == tag.id)))
                session.execute(delete(document_tags).where(document_tags.c.tag_id == tag.id))
                session.delete(tag)
        session.flush()
        for state in snapshot.present:
            tag = _tag(session, state.name, state.color)
            tag.name, tag.color = state.name, state.color
            session.flush()
            current = set(session.scalars(select(document_tags.c.document_id).where(document_tags.c.tag_id == tag.id)))
            existing = set(session.scalars(select(Document.id).where(Document.id.in_(state.document_ids))))
            wanted = set(state.document_ids) & existing
            extra, missing = current - wanted, wanted - current
            if extra:
                session.execute(
                    delete(document_tags).where(document_tags.c.tag_id == tag.id, document_tags.c.document_id.in_(extra))
                )
            for doc_id in missing:
                session.execute(insert(document_tags).values(document_id=doc_id, tag_id=tag.id))
            touched.update(current | wanted)


def _tag(session, name: str, color: str | None) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.name_key == name.casefold()))
    if tag is None:
        tag = Tag(name=name, name_key=name.casefold(), color=color)
        session.add(tag)
        session.flush()
    return tag
