"""Snapshots of what a change replaces, as plain JSON data, and their exact
restoration: what the trash keeps of a deleted document and what an undo
step keeps of tags, fields and attachments. Everything here runs inside the
caller's transaction (a session of ``CatalogService.writing()``), so the
change log sees restorations like any other write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session as DbSession

from ..models import (
    Attachment,
    AttachmentPage,
    Collection,
    CollectionDocument,
    Document,
    DocumentOrganization,
    DocumentPerson,
    Event,
    Note,
    Organization,
    Place,
    Tag,
    document_places,
    document_tags,
)
from .common import EDITABLE_FIELDS, NotFound


class RestoreError(RuntimeError):
    """The change cannot be undone any more; the message is for the user."""


_FIELDS = EDITABLE_FIELDS  # a snapshot keeps every field an edit can change
_PERSON_FIELDS = ("family", "given", "literal", "role")
_ATTACHMENT_FIELDS = ("id", "sha256", "original_name", "size", "mime_type", "text", "text_status", "text_message")


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


_iso, _when = iso, when


# -- documents -------------------------------------------------------------


def document_snapshot(session: DbSession, doc_id: int) -> dict:
    """Everything a document is: fields, tags, organizations, places, attachment rows."""
    document = session.get(Document, doc_id)
    if document is None:
        raise NotFound(f"no document with id {doc_id}")
    return {
        "id": document.id,
        **{name: getattr(document, name) for name in _FIELDS},
        "event": document.event.name if document.event else None,
        "created_at": _iso(document.created_at),
        "modified_at": _iso(document.modified_at),
        "tags": [[t.name, t.color] for t in document.tags],
        "organizations": [[link.organization_id, link.role] for link in document.organization_links],
        "places": [p.name for p in document.places],
        "persons": person_snapshot(document),
        "attachments": [attachment_snapshot(a) for a in document.attachments],
        # the researcher's notes and the collections it is in (catalog/notes.py, collections.py)
        "user_notes": [
            note_snapshot(n) for n in session.scalars(select(Note).where(Note.document_id == doc_id).order_by(Note.id))
        ],
        "collections": [
            [m.collection_id, _iso(m.added_at)]
            for m in session.scalars(
                select(CollectionDocument)
                .where(CollectionDocument.document_id == doc_id)
                .order_by(CollectionDocument.collection_id)
            )
        ],
    }


def note_snapshot(note: Note) -> dict:
    return {
        "id": note.id,
        "document_id": note.document_id,
        "body": note.body,
        "created_at": _iso(note.created_at),
        "modified_at": _iso(note.modified_at),
    }


def restore_note(session: DbSession, saved: dict) -> None:
    """A note back with its id (a new one if that id was taken meanwhile)."""
    free = session.get(Note, saved["id"]) is None
    session.add(
        Note(
            id=saved["id"] if free else None,
            document_id=saved["document_id"],
            body=saved["body"],
            created_at=_when(saved["created_at"]),
            modified_at=_when(saved["modified_at"]),
        )
    )


def attachment_snapshot(attachment: Attachment) -> dict:
    return {
        **{name: getattr(attachment, name) for name in _ATTACHMENT_FIELDS},
        "document_id": attachment.document_id,
        "added_at": _iso(attachment.added_at),
        # Where the text came from and its pages (migration 0007): a restored
        # file keeps its OCR, its pages and their word boxes.
        "text_source": attachment.text_source,
        "pages": [[p.page, p.text, p.boxes] for p in attachment.pages],
    }


def restore_document(session: DbSession, snapshot: dict) -> int:
    """Put a document back with its id; tags deleted since are recreated with
    their colour, organizations and places that no longer exist are skipped."""
    doc_id = snapshot["id"]
    if session.get(Document, doc_id) is not None:
        raise RestoreError(f"a document with id {doc_id} exists already")
    event_id = session.scalar(select(Event.id).where(Event.name == snapshot["event"])) if snapshot["event"] else None
    session.add(
        Document(
            id=doc_id,
            event_id=event_id,
            created_at=_when(snapshot["created_at"]),
            # a snapshot taken before migration 0006 has no citation fields
            **{name: snapshot.get(name) for name in _FIELDS},
        )
    )
    session.flush()
    restore_persons(session, doc_id, snapshot.get("persons", []))
    for name, color in snapshot["tags"]:
        session.execute(insert(document_tags).values(document_id=doc_id, tag_id=_tag(session, name, color).id))
    for organization_id, role in snapshot["organizations"]:
        if session.get(Organization, organization_id) is not None:
            session.add(DocumentOrganization(document_id=doc_id, organization_id=organization_id, role=role))
    for name in snapshot["places"]:
        place_id = session.scalar(select(Place.id).where(Place.name == name))
        if place_id is not None:
            session.execute(insert(document_places).values(document_id=doc_id, place_id=place_id))
    for saved in snapshot["attachments"]:
        restore_attachment(session, saved)
    for saved in snapshot.get("user_notes", ()):  # snapshots taken before notes have none
        restore_note(session, saved)
    for collection_id, added_at in snapshot.get("collections", ()):
        if session.get(Collection, collection_id) is not None:  # not deleted since
            session.add(CollectionDocument(collection_id=collection_id, document_id=doc_id, added_at=_when(added_at)))
    session.flush()
    # onupdate bumped it during the flushes above
    documents = Document.metadata.tables[Document.__tablename__]  # Document.__table__, typed as the Table it is
    session.execute(documents.update().where(Document.id == doc_id).values(modified_at=_when(snapshot["modified_at"])))
    return doc_id


def restore_attachment(session: DbSession, saved: dict) -> None:
    if session.get(Attachment, saved["id"]) is not None:
        raise RestoreError(f"attachment {saved['id']} exists already")
    session.add(
        Attachment(
            document_id=saved["document_id"],
            added_at=_when(saved["added_at"]),
            text_source=saved.get("text_source", ""),  # snapshots from before 0007 have none
            pages=[AttachmentPage(page=page, text=text, boxes=boxes) for page, text, boxes in saved.get("pages", ())],
            **{name: saved[name] for name in _ATTACHMENT_FIELDS},
        )
    )


def person_snapshot(document: Document) -> list[list[str]]:
    return [[getattr(p, name) for name in _PERSON_FIELDS] for p in document.persons]


def restore_persons(session: DbSession, doc_id: int, persons: list[list[str]]) -> None:
    """Make the document's persons exactly ``persons`` (a ``person_snapshot``)."""
    document = session.get(Document, doc_id)
    if document is None:
        raise NotFound(f"no document with id {doc_id}")
    document.persons.clear()
    session.flush()
    for position, values in enumerate(persons):
        fields = dict(zip(_PERSON_FIELDS, values, strict=True))
        document.persons.append(DocumentPerson(document_id=doc_id, position=position, **fields))


def document_fields(session: DbSession, doc_id: int, names: Iterable[str]) -> dict:
    document = session.get(Document, doc_id)
    if document is None:
        raise NotFound(f"no document with id {doc_id}")
    return {name: getattr(document, name) for name in names}


# -- tags ------------------------------------------------------------------


def tag_snapshot(session: DbSession, names: Iterable[str]) -> dict:
    """The named tags as they are (case-insensitively): name, colour and
    documents of those that exist, and the names that do not."""
    present, absent, seen = [], [], set()
    for name in names:
        key = " ".join(name.split()).casefold()
        if not key or key in seen:
            continue
        seen.add(key)
        tag = session.scalar(select(Tag).where(Tag.name_key == key))
        if tag is None:
            absent.append(" ".join(name.split()))
            continue
        ids = sorted(session.scalars(select(document_tags.c.document_id).where(document_tags.c.tag_id == tag.id)))
        present.append([tag.name, tag.color, ids])
    return {"present": present, "absent": absent}


def restore_tags(session: DbSession, snapshot: dict) -> set[int]:
    """Make the snapshot's tags exactly as they were (documents deleted since
    are skipped); returns the ids of the documents whose tags changed."""
    touched: set[int] = set()
    for name in snapshot["absent"]:
        tag = session.scalar(select(Tag).where(Tag.name_key == name.casefold()))
        if tag is not None:
            touched.update(session.scalars(select(document_tags.c.document_id).where(document_tags.c.tag_id == tag.id)))
            session.execute(delete(document_tags).where(document_tags.c.tag_id == tag.id))
            session.delete(tag)
    session.flush()
    for name, color, doc_ids in snapshot["present"]:
        tag = _tag(session, name, color)
        tag.name, tag.color = name, color
        session.flush()
        current = set(session.scalars(select(document_tags.c.document_id).where(document_tags.c.tag_id == tag.id)))
        wanted = set(session.scalars(select(Document.id).where(Document.id.in_(doc_ids))))
        extra, missing = current - wanted, wanted - current
        if extra:
            session.execute(
                delete(document_tags).where(document_tags.c.tag_id == tag.id, document_tags.c.document_id.in_(extra))
            )
        for doc_id in missing:
            session.execute(insert(document_tags).values(document_id=doc_id, tag_id=tag.id))
        touched.update(extra | missing)
    return touched


def _tag(session: DbSession, name: str, color: str | None) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.name_key == name.casefold()))
    if tag is None:
        tag = Tag(name=name, name_key=name.casefold(), color=color)
        session.add(tag)
        session.flush()
    return tag
