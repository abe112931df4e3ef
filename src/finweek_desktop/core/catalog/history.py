"""Undo and redo, kept in the catalog: the window's Ctrl+Z and `finweek undo`
walk the same steps, and they survive a restart.

Each undoable write (an edit, a tag change or merge, a delete, a detach)
records, in its own transaction, the steps that undo it and the steps that
redo it, as JSON (see ``_apply``). A new change drops the steps that were
undone and not redone, as editors do. In a team catalog each desktop undoes
only its own changes (``author``).
"""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from ..changes import ChangeSet
from ..models import Attachment, Document, DocumentOrganization, HeldFile, HistoryEntry
from .snapshots import RestoreError, restore_attachment, restore_persons, restore_tags
from .trash import Trash
from .writer import CatalogWriter

DEPTH = 100  # undo steps kept per author

# A part's own undo step: applied in the step's transaction, it adds the ids
# of the documents it changed to the set it is handed.
StepHandler = Callable[[DbSession, dict, set[int]], None]


def this_desktop() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


@dataclass(frozen=True)
class Step:
    id: int
    action: str
    description: str
    undone: bool


@dataclass(frozen=True)
class Undone:
    description: str
    changes: ChangeSet


class History:
    def __init__(self, writer: CatalogWriter, trash: Trash, author: str | None = None, depth: int = DEPTH):
        self._writer = writer
        self._trash = trash
        self.author = author or this_desktop()
        self._depth = depth
        self._handlers: dict[str, StepHandler] = {}

    def register(self, op: str, handler: StepHandler) -> None:
        """Let a part (collections, notes) undo and redo steps of its own kind."""
        if op in self._handlers:
            raise ValueError(f"undo step {op!r} is registered already")
        self._handlers[op] = handler

    def record(
        self,
        session: DbSession,
        action: str,
        description: str,
        undo: list[dict],
        redo: list[dict],
        hold: Iterable[str] = (),
    ) -> None:
        """Add an undo step inside the write's transaction. ``hold``: stored
        files the undo needs although no row will refer to them."""
        for stale in session.scalars(self._mine().where(HistoryEntry.undone.is_(True))):
            session.delete(stale)  # a new change ends the redo branch
        entry = HistoryEntry(
            author=self.author,
            action=action,
            description=description,
            undo=json.dumps(undo, ensure_ascii=False),
            redo=json.dumps(redo, ensure_ascii=False),
        )
        entry.files = [HeldFile(sha256=sha) for sha in set(hold)]
        session.add(entry)
        session.flush()
        for old in session.scalars(self._mine().order_by(HistoryEntry.id.desc()).offset(self._depth)):
            session.delete(old)

    def record_swap(
        self, session: DbSession, action: str, description: str, step: dict, key: str, before: object, after: object
    ) -> None:
        """An undo step that sets ``step[key]`` back to ``before``, its redo to ``after``."""
        self.record(session, action, description, undo=[{**step, key: before}], redo=[{**step, key: after}])

    def record_added(self, doc_ids: Sequence[int], description: str) -> None:
        """One undo step for documents a bulk import added over several
        transactions (its batches): undo moves them all to the trash, redo
        takes them all back. Its own transaction, after the import's."""
        if not doc_ids:
            return
        with self._writer.writing() as write:
            self.record(
                write.session,
                "import",
                description,
                undo=[{"op": "trash", "document_ids": list(doc_ids)}],
                redo=[{"op": "untrash", "trash_ids": []}],  # filled in when undone
            )

    def steps(self) -> list[Step]:
        with self._writer.read() as session:
            return [
                Step(e.id, e.action, e.description, e.undone)
                for e in session.scalars(self._mine().order_by(HistoryEntry.id))
            ]

    def next_undo(self) -> Step | None:
        done = [s for s in self.steps() if not s.undone]
        return done[-1] if done else None

    def next_redo(self) -> Step | None:
        undone = [s for s in self.steps() if s.undone]
        return undone[0] if undone else None

    def undo(self) -> Undone:
        step = self.next_undo()
        if step is None:
            raise RestoreError("nothing to undo")
        return self._run(step.id, undo=True)

    def redo(self) -> Undone:
        step = self.next_redo()
        if step is None:
            raise RestoreError("nothing to redo")
        return self._run(step.id, undo=False)

    def clear(self) -> int:
        """Forget this desktop's undo steps; the files only they held are
        released. Returns how many steps there were."""
        with self._writer.writing() as write:
            steps = list(write.session.scalars(self._mine()))
            for step in steps:
                write.session.delete(step)
        return len(steps)

    def _mine(self):
        return select(HistoryEntry).where(HistoryEntry.author == self.author)

    def _run(self, entry_id: int, *, undo: bool) -> Undone:
        with self._writer.writing() as write:
            session = write.session
            entry = session.get(HistoryEntry, entry_id)
            if entry is None:  # cleared meanwhile, by another window of this desktop
                raise RestoreError("nothing to undo" if undo else "nothing to redo")
            steps = json.loads(entry.undo if undo else entry.redo)
            after = [self._apply(session, step, write.touched) for step in steps]
            # Redoing a delete (or undoing an import) trashes the documents
            # anew: the way back must restore the new trash items, not the
            # ones restored before.
            if any(a is not None for a in after):
                inverse = json.loads(entry.redo if undo else entry.undo)
                for step, trash_ids in zip(inverse, after, strict=False):
                    if trash_ids is not None and step["op"] == "untrash":
                        step["trash_ids"] = trash_ids
                if undo:
                    entry.redo = json.dumps(inverse)
                else:
                    entry.undo = json.dumps(inverse)
            entry.undone = undo
            description = entry.description
        return Undone(description, write.changes)

    def _apply(self, session: DbSession, step: dict, touched: set[int]) -> list[int] | None:
        op = step["op"]
        trash = self._trash
        if op == "tags":
            touched.update(restore_tags(session, step["snapshot"]))
        elif op == "fields":
            document = _document(session, step["document_id"])
            for name, value in step["fields"].items():
                setattr(document, name, value)
            touched.add(document.id)
        elif op == "organizations":
            document = _document(session, step["document_id"])
            document.organization_links.clear()
            session.flush()
            for organization_id, role in step["links"]:
                session.add(DocumentOrganization(document_id=document.id, organization_id=organization_id, role=role))
            touched.add(document.id)
        elif op == "persons":
            document = _document(session, step["document_id"])
            restore_persons(session, document.id, step["persons"])
            touched.add(document.id)
        elif op == "untrash":
            touched.update(trash.take_back(session, step["trash_ids"]))
        elif op == "trash":
            existing = [i for i in step["document_ids"] if session.get(Document, i) is not None]
            return trash.put(session, existing)
        elif op == "attach":
            restore_attachment(session, step["attachment"])
            touched.add(step["attachment"]["document_id"])
        elif op == "detach":
            attachment = session.get(Attachment, step["attachment_id"])
            if attachment is not None:
                touched.add(attachment.document_id)
                session.delete(attachment)
        elif op in self._handlers:
            self._handlers[op](session, step, touched)
        else:
            raise RestoreError(f"unknown undo step {op!r}")
        return None


def _document(session: DbSession, doc_id: int) -> Document:
    document = session.get(Document, doc_id)
    if document is None:
        raise RestoreError(f"document {doc_id} has been deleted since")
    return document
