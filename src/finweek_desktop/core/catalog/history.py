"""Undo and redo, kept in the catalog: the window's Ctrl+Z and `finweek undo`
walk the same steps, and they survive a restart.

Each undoable write (an edit, a tag change or merge, a delete, a detach)
records, in its own transaction, the steps that undo it and the steps that
redo it, as JSON (see ``_apply``). A new change drops the steps that were
undone and not redone, as editors do. In a team catalog each desktop undoes
only its own changes (``author``).

An undo or redo never overwrites what someone else saved meanwhile (a
colleague's desktop on a team catalog, another window): before putting
fields, persons, organizations or tags back, it checks they are still as
this change left them; if not, ChangedMeanwhile says so with both versions
and nothing is written. A document restored from the trash meanwhile by
someone else is said so too.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from ..changes import ChangeSet
from ..models import Attachment, Document, DocumentOrganization, HeldFile, HistoryEntry, Organization
from .common import EDITABLE_FIELDS, ChangedMeanwhile
from .snapshots import (
    RestoreError,
    document_fields,
    person_snapshot,
    restore_attachment,
    restore_persons,
    restore_tags,
    tag_snapshot,
)
from .trash import Trash
from .writer import CatalogWriter, retry_conflicts

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
        session.flush()  # the versions the change made (the version column moves at the flush)
        for step in [*undo, *redo]:
            version = _version(session, step.get("document_id"))
            if version is not None:
                step["version"] = version
            if step["op"] == "trash":
                _note_fields(session, step)
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
        # run again when another desktop saved a document between our read and our write:
        # the second run sees its edit, and says so (ChangedMeanwhile) instead of overwriting it
        return retry_conflicts(lambda: self._run(step.id, undo=True))

    def redo(self) -> Undone:
        step = self.next_redo()
        if step is None:
            raise RestoreError("nothing to redo")
        return retry_conflicts(lambda: self._run(step.id, undo=False))

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
            # What the change (or its undo) left: still there, or saved over by someone since?
            _unchanged_since(session, steps, json.loads(entry.redo if undo else entry.undo))
            after = [self._apply(session, step, write.touched) for step in steps]
            session.flush()
            for step in steps:  # the versions this left, for the message of a later conflict
                version = _version(session, step.get("document_id"))
                if version is not None:
                    step["version"] = version
            if undo:
                entry.undo = json.dumps(steps, ensure_ascii=False)
            else:
                entry.redo = json.dumps(steps, ensure_ascii=False)
            # Redoing a delete (or undoing an import) trashes the documents
            # anew: the way back must restore the new trash items, not the
            # ones restored before. Taking documents back from the trash
            # notes their fields, so trashing them again sees a colleague's
            # edit meanwhile.
            inverse = json.loads(entry.redo if undo else entry.undo)
            for step, trash_ids in zip(inverse, after, strict=False):
                if trash_ids is not None and step["op"] == "untrash":
                    step["trash_ids"] = trash_ids
                elif step["op"] == "trash":
                    _note_fields(session, step)
            if undo:
                entry.redo = json.dumps(inverse, ensure_ascii=False)
            else:
                entry.undo = json.dumps(inverse, ensure_ascii=False)
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


def _version(session: DbSession, doc_id: object) -> int | None:
    document = session.get(Document, doc_id) if isinstance(doc_id, int) else None
    return document.version if document is not None else None


def _unchanged_since(session: DbSession, steps: list[dict], left: list[dict]) -> None:
    """Raise ChangedMeanwhile when what ``steps`` would put back was saved over
    since the change (or its undo) left it as ``left`` says: an undo must never
    silently overwrite a colleague's edit. The parts' own steps (collections,
    notes) and files are not compared: putting them back overwrites nothing."""
    kept = {(s["op"], s.get("document_id")): s for s in left}
    for step in steps:
        if step["op"] == "trash":
            _not_edited_since(session, step)
            continue
        op, doc_id = step["op"], step.get("document_id")
        was = kept.get((op, doc_id))
        if was is None:
            continue
        if op == "tags":
            _tags_unchanged(session, step["snapshot"], was["snapshot"])
            continue
        document = session.get(Document, doc_id) if doc_id is not None else None
        if document is None:
            continue  # deleted since: _apply says so
        if op == "fields":
            now = document_fields(session, document.id, was["fields"])
            yours, theirs, expected = step["fields"], now, was["fields"]
        elif op == "persons":
            now_persons = [list(p) for p in person_snapshot(document)]
            yours, theirs = {"persons": _people(step["persons"])}, {"persons": _people(now_persons)}
            expected, now = {"persons": was["persons"]}, {"persons": now_persons}
        elif op == "organizations":
            links = sorted([link.organization_id, link.role] for link in document.organization_links)
            yours = {"organizations": _links(session, step["links"])}
            theirs = {"organizations": _links(session, links)}
            expected, now = {"organizations": sorted(was["links"])}, {"organizations": links}
        else:
            continue
        if now != expected:
            raise ChangedMeanwhile(
                document.id,
                document.title,
                was.get("version", document.version - 1),
                document.version,
                yours,
                theirs,
                undoing=True,
            )


def _fingerprints(session: DbSession, doc_ids: Sequence[int]) -> dict[str, tuple[str, int]]:
    """Document id -> (a digest of every field an edit can change, version).
    Compared by value, not by version: this desktop's own writes that keep
    no undo step (an import's files, OCR text) move the version and are no
    conflict."""
    columns = [getattr(Document, name) for name in EDITABLE_FIELDS]
    out = {}
    for first in range(0, len(doc_ids), 500):
        chunk = doc_ids[first : first + 500]
        for doc_id, version, *values in session.execute(
            select(Document.id, Document.version, *columns).where(Document.id.in_(chunk))
        ):
            out[str(doc_id)] = (hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()[:16], version)
    return out


def _note_fields(session: DbSession, step: dict) -> None:
    """The fields of the documents a trash step would trash, as they are now."""
    session.flush()
    step["fields"] = _fingerprints(session, step["document_ids"])


def _not_edited_since(session: DbSession, step: dict) -> None:
    """Raise ChangedMeanwhile when a document a trash step would trash was
    edited since the step noted its fields: an undo or redo must not put a
    colleague's fresh edit in the trash unsaid."""
    noted = step.get("fields", {})
    now = _fingerprints(session, [int(i) for i in noted])
    for doc_id, (digest, version) in noted.items():
        if doc_id in now and now[doc_id][0] != digest:
            document = session.get(Document, int(doc_id))
            assert document is not None
            raise ChangedMeanwhile(
                document.id,
                document.title,
                version,
                document.version,
                {"document": "moved to the trash"},
                {"document": "edited since"},
                undoing=True,
            )


def _people(persons: list[list[str]]) -> str:
    return "; ".join(", ".join(part for part in person if part) for person in persons) or "(none)"


def _links(session: DbSession, links: list[list]) -> str:
    """Organizations with their roles, by name (what the conflict shows the user)."""
    names = dict(
        session.execute(select(Organization.id, Organization.name).where(Organization.id.in_([i for i, _ in links])))
        .tuples()
        .all()
    )
    shown = sorted(f"{names.get(organization_id, organization_id)} ({role})" for organization_id, role in links)
    return "; ".join(shown) or "(none)"


def _tags_unchanged(session: DbSession, putting_back: dict, was: dict) -> None:
    names = [name for name, _color, _ids in was["present"]] + list(was["absent"])
    now = tag_snapshot(session, names)
    if now == was:
        return
    members_now, members_was, members_back = _tag_members(now), _tag_members(was), _tag_members(putting_back)
    moved = sorted(
        doc_id
        for key in members_now.keys() | members_was.keys()
        for doc_id in members_now.get(key, set()) ^ members_was.get(key, set())
    )
    document = session.get(Document, moved[0]) if moved else None
    if document is None:  # a tag renamed or recoloured since, or a document gone
        first = sorted(members_was.keys() | members_now.keys())
        label = first[0] if first else "a tag"
        raise ChangedMeanwhile(0, label, 0, 0, {"tag": _shown_tags(was)}, {"tag": _shown_tags(now)}, undoing=True)

    def with_doc(members: dict[str, set[int]]) -> str:
        return ", ".join(sorted(name for name, ids in members.items() if document.id in ids)) or "(none)"

    raise ChangedMeanwhile(
        document.id,
        document.title,
        document.version - 1,
        document.version,
        {"tags": with_doc(members_back)},
        {"tags": with_doc(members_now)},
        undoing=True,
    )


def _tag_members(snapshot: dict) -> dict[str, set[int]]:
    return {name.casefold(): set(ids) for name, _color, ids in snapshot["present"]}


def _shown_tags(snapshot: dict) -> str:
    return "; ".join(f"{name} ({color or 'no colour'})" for name, color, _ids in snapshot["present"]) or "(none)"
