"""Writes, run one at a time on the write pool, each reporting what changed.

In the spirit of Anki's operations: every write returns a ``Change`` saying
which documents to re-read and whether lists must be reloaded, so the window
refreshes just that. Deleting documents and changing tags push an undo step
(built on ``core.undo``); Ctrl+Z runs the last one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..core import undo
from ..core.catalog import CatalogService
from ..core.records import NewDocument
from .tasks import TaskRunner

log = logging.getLogger(__name__)
UNDO_DEPTH = 30


@dataclass(frozen=True)
class Change:
    documents: frozenset[int] = frozenset()  # rows to re-read
    structure: bool = False  # documents created or deleted: reload the id lists
    tags: bool = False  # the tag list changed
    organizations: bool = False
    select: int | None = None  # a document to select afterwards
    message: str = ""


@dataclass
class UndoStep:
    description: str
    run: Callable[[CatalogService], Change]


@dataclass
class _Outcome:
    change: Change
    undo: UndoStep | None = None
    result: Any = None
    extra: dict = field(default_factory=dict)


class Operations(QObject):
    changed = Signal(object)  # Change
    failed = Signal(str, object)  # what was being done, the exception
    finished = Signal()  # after each operation, whatever happened
    undo_changed = Signal(str)  # description of the step Ctrl+Z would undo, "" if none

    def __init__(self, service: CatalogService, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self._undo: list[UndoStep] = []

    # -- plumbing --------------------------------------------------------------

    def run(self, action: str, work: Callable[[CatalogService], _Outcome],
            done: Callable[[Any], None] | None = None) -> None:
        service = self.service

        def finished(outcome: _Outcome | None, error: BaseException | None) -> None:
            try:
                if error is not None:
                    self.failed.emit(action, error)
                    return
                if outcome.undo is not None:
                    self._undo.append(outcome.undo)
                    del self._undo[:-UNDO_DEPTH]
                    self.undo_changed.emit(self.undo_text)
                self.changed.emit(outcome.change)
                if done is not None:
                    done(outcome.result)
            finally:
                self.finished.emit()

        self.runner.run(lambda: work(service), finished, write=True)

    @property
    def undo_text(self) -> str:
        return self._undo[-1].description if self._undo else ""

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> None:
        if not self._undo:
            return
        step = self._undo.pop()
        self.undo_changed.emit(self.undo_text)
        self.run(f"Could not undo “{step.description}”", lambda s: _Outcome(step.run(s)))

    # -- documents -------------------------------------------------------------

    def create_document(self, new: NewDocument, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            detail = s.create_document(new)
            return _Outcome(
                Change(frozenset({detail.id}), structure=True, tags=bool(new.tags), organizations=bool(new.organizations),
                       select=detail.id, message=f"Created “{detail.title}”"),
                result=detail,
            )

        self.run("Could not create the document", work, done)

    def update_document(self, doc_id: int, changes: dict, organizations=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            detail = s.update_document(doc_id, **changes)
            if organizations is not None:
                current = tuple((o.name, o.role) for o in detail.organizations)
                if current != tuple(organizations):
                    detail = s.set_organizations(doc_id, organizations)
            # a new kind or date moves the row: reload the lists
            return _Outcome(Change(frozenset({doc_id}), structure=True, organizations=organizations is not None,
                                   select=doc_id, message=f"Saved “{detail.title}”"))

        self.run("Could not save the document", work)

    def delete_documents(self, doc_ids: Iterable[int]) -> None:
        doc_ids = list(doc_ids)

        def work(s: CatalogService) -> _Outcome:
            details = [s.delete_document(doc_id) for doc_id in doc_ids]
            what = f"“{details[0].title}”" if len(details) == 1 else f"{len(details)} documents"

            def restore(s2: CatalogService) -> Change:
                for detail in details:
                    undo.restore_document(s2, detail)
                return Change(frozenset(doc_ids), structure=True, tags=True, organizations=True,
                              select=details[0].id, message=f"Restored {what}")

            return _Outcome(
                Change(frozenset(doc_ids), structure=True, tags=True, organizations=True, message=f"Deleted {what}"),
                UndoStep(f"Delete {what}", restore),
            )

        self.run("Could not delete", work)

    # -- tags ------------------------------------------------------------------

    def _tag_change(self, action: str, description: str, names: list[str], change_fn, doc_ids=(), done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            before = undo.snapshot_tags(s, names)
            affected = set(doc_ids).union(*(state.document_ids for state in before.present))
            result = change_fn(s)

            def restore(s2: CatalogService) -> Change:
                now = undo.snapshot_tags(s2, names)
                undone = set(affected).union(*(state.document_ids for state in now.present))
                undo.restore_tags(s2, before)
                return Change(frozenset(undone), tags=True, message=f"Undid: {description}")

            return _Outcome(Change(frozenset(affected), tags=True, message=description), UndoStep(description, restore), result)

        self.run(action, work, done)

    def add_tag(self, doc_ids: Iterable[int], name: str) -> None:
        doc_ids = list(doc_ids)
        name = " ".join(name.split())
        what = "1 document" if len(doc_ids) == 1 else f"{len(doc_ids)} documents"
        self._tag_change(f"Could not add the tag “{name}”", f"Tag {what} with “{name}”", [name],
                         lambda s: s.add_tag(doc_ids, name), doc_ids)

    def remove_tag(self, doc_ids: Iterable[int], name: str) -> None:
        doc_ids = list(doc_ids)
        what = "1 document" if len(doc_ids) == 1 else f"{len(doc_ids)} documents"
        self._tag_change(f"Could not remove the tag “{name}”", f"Remove “{name}” from {what}", [name],
                         lambda s: s.remove_tag(doc_ids, name), doc_ids)

    def rename_tag(self, old: str, new: str) -> None:
        self._tag_change(f"Could not rename the tag “{old}”", f"Rename tag “{old}” to “{new}”", [old, new],
                         lambda s: s.rename_tag(old, new))

    def merge_tags(self, sources: list[str], target: str) -> None:
        self._tag_change("Could not merge the tags", f"Merge {', '.join(sources)} into “{target}”", [*sources, target],
                         lambda s: s.merge_tags(sources, target))

    def delete_tags(self, names: list[str]) -> None:
        label = f"“{names[0]}”" if len(names) == 1 else f"{len(names)} tags"
        self._tag_change("Could not delete the tag", f"Delete tag {label}", list(names),
                         lambda s: [s.delete_tag(n) for n in names])

    def set_tag_color(self, name: str, color: str | None) -> None:
        self._tag_change(f"Could not change the colour of “{name}”", f"Colour of “{name}”", [name],
                         lambda s: s.set_tag_color(name, color))
