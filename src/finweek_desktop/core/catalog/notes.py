"""A researcher's notes on a document: any number, in Markdown, with their
created and modified times. A note's change logs its document as changed,
so the search index follows (notes are searched like the rest of the
document); each change is one undo step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from ..models import Document, Note, utcnow
from .common import NotFound, require_document
from .history import History
from .snapshots import RestoreError, note_snapshot, restore_note
from .writer import CatalogWriter

MAX_NOTE_CHARS = 200_000


@dataclass(frozen=True)
class NoteInfo:
    id: int
    document_id: int
    body: str  # Markdown
    created_at: dt.datetime
    modified_at: dt.datetime

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "document_id": self.document_id,
            "body": self.body,
            "created_at": self.created_at.isoformat(),
            "modified_at": self.modified_at.isoformat(),
        }


def clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValueError("a note needs some text")
    if len(body) > MAX_NOTE_CHARS:
        raise ValueError(f"a note is limited to {MAX_NOTE_CHARS:,} characters")
    return body


def _aware(value: dt.datetime) -> dt.datetime:
    """Times are stored in UTC; SQLite hands them back without a zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _info(note: Note) -> NoteInfo:
    return NoteInfo(note.id, note.document_id, note.body, _aware(note.created_at), _aware(note.modified_at))


class Notes:
    """Add, edit, delete and list the notes of a document."""

    def __init__(self, writer: CatalogWriter, history: History):
        self._writer = writer
        self._history = history
        history.register("note-restore", self._undo_restore)
        history.register("note-drop", self._undo_drop)
        history.register("note-body", self._undo_body)

    def of_document(self, doc_id: int) -> list[NoteInfo]:
        """The notes of a document, oldest first."""
        with self._writer.read() as session:
            require_document(session, doc_id)
            return [_info(n) for n in session.scalars(select(Note).where(Note.document_id == doc_id).order_by(Note.id))]

    def get(self, note_id: int) -> NoteInfo:
        with self._writer.read() as session:
            return _info(self._require(session, note_id))

    def add(self, doc_id: int, body: str) -> NoteInfo:
        body = clean_body(body)
        with self._writer.writing() as write:
            document = require_document(write.session, doc_id)
            now = utcnow()
            note = Note(document_id=doc_id, body=body, created_at=now, modified_at=now)
            write.session.add(note)
            write.session.flush()
            self._history.record(
                write.session,
                "note",
                f"Add a note to “{document.title}”",
                undo=[{"op": "note-drop", "note_id": note.id}],
                redo=[{"op": "note-restore", "note": note_snapshot(note)}],
            )
            write.touched.add(doc_id)
            info = _info(note)
        return info

    def edit(self, note_id: int, body: str) -> NoteInfo:
        body = clean_body(body)
        with self._writer.writing() as write:
            note = self._require(write.session, note_id)
            if note.body != body:
                before = {"body": note.body, "modified_at": note.modified_at.isoformat()}
                note.body, note.modified_at = body, utcnow()
                after = {"body": body, "modified_at": note.modified_at.isoformat()}
                title = write.session.get(Document, note.document_id).title  # type: ignore[union-attr]
                step = {"op": "note-body", "note_id": note_id}
                self._history.record_swap(
                    write.session, "note", f"Edit a note on “{title}”", step, "fields", before, after
                )
                write.touched.add(note.document_id)
            info = _info(note)
        return info

    def delete(self, note_id: int) -> NoteInfo:
        with self._writer.writing() as write:
            note = self._require(write.session, note_id)
            info = _info(note)
            title = write.session.get(Document, note.document_id).title  # type: ignore[union-attr]
            self._history.record(
                write.session,
                "note",
                f"Delete a note on “{title}”",
                undo=[{"op": "note-restore", "note": note_snapshot(note)}],
                redo=[{"op": "note-drop", "note_id": note_id}],
            )
            write.session.delete(note)
            write.touched.add(info.document_id)
        return info

    @staticmethod
    def _require(session: DbSession, note_id: int) -> Note:
        note = session.get(Note, note_id)
        if note is None:
            raise NotFound(f"no note with id {note_id}")
        return note

    # -- undo steps ----------------------------------------------------------

    @staticmethod
    def _undo_restore(session: DbSession, step: dict, touched: set[int]) -> None:
        saved = step["note"]
        if session.get(Document, saved["document_id"]) is None:
            raise RestoreError(f"document {saved['document_id']} has been deleted since")
        if session.get(Note, saved["id"]) is None:
            restore_note(session, saved)
            touched.add(saved["document_id"])

    @staticmethod
    def _undo_drop(session: DbSession, step: dict, touched: set[int]) -> None:
        note = session.get(Note, step["note_id"])
        if note is not None:
            touched.add(note.document_id)
            session.delete(note)

    @staticmethod
    def _undo_body(session: DbSession, step: dict, touched: set[int]) -> None:
        note = session.get(Note, step["note_id"])
        if note is None:
            raise RestoreError("the note has been deleted since")
        note.body = step["fields"]["body"]
        note.modified_at = dt.datetime.fromisoformat(step["fields"]["modified_at"])
        touched.add(note.document_id)
