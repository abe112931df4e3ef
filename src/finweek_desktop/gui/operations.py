"""Writes, run one at a time on the write pool, each reporting what changed.

In the spirit of Anki's operations: every write returns a ``Change`` saying
which documents to re-read and whether lists must be reloaded, so the window
refreshes just that. Undo is the core's (``CatalogService.history``): Ctrl+Z
here and `finweek undo` walk the same steps, which survive a restart.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from pathlib import Path

from ..core.attachments.records import AlreadyAttached, DuplicateAttachment
from ..core.catalog.imports import ImportItem
from ..core.catalog import CatalogService
from ..core.changes import ChangeSet
from ..core.records import NewDocument
from .tasks import Cancelled, Progress, TaskRunner

log = logging.getLogger(__name__)
IMPORT_BATCH = 100  # files per database batch of an import
IMPORT_MIN_BATCH = 10  # ... at least (a batch is a commit)


@dataclass(frozen=True)
class Change:
    documents: frozenset[int] = frozenset()  # rows to re-read
    structure: bool = False  # documents created or deleted: reload the id lists
    tags: bool = False  # the tag list changed
    organizations: bool = False
    select: int | None = None  # a document to select afterwards
    message: str = ""


@dataclass
class FileReport:
    """What became of each file of an attach or an import."""

    added: list[str] = field(default_factory=list)  # file names
    documents: list[int] = field(default_factory=list)  # created by an import
    duplicates: list[DuplicateAttachment] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # on this document already
    failed: list[tuple[str, str]] = field(default_factory=list)  # name, why
    cancelled: bool = False

    def summary(self) -> str:
        parts = []
        if self.documents:
            parts.append(f"{len(self.documents)} document{'s' if len(self.documents) != 1 else ''} created")
        elif self.added:
            parts.append(f"{len(self.added)} file{'s' if len(self.added) != 1 else ''} attached")
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate{'s' if len(self.duplicates) != 1 else ''} skipped")
        if self.already:
            parts.append(f"{len(self.already)} already attached")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.cancelled:
            parts.append("cancelled")
        return ", ".join(parts) or "nothing to do"


@dataclass
class _Outcome:
    change: Change
    result: Any = None
    extra: dict = field(default_factory=dict)


class Operations(QObject):
    changed = Signal(object)  # Change
    # Every ChangeSet the core announces: this desktop's writes and what other
    # processes wrote. Widgets that show catalog data subscribe here.
    catalog_changed = Signal(object)  # ChangeSet
    failed = Signal(str, object)  # what was being done, the exception
    finished = Signal()  # after each operation, whatever happened
    batch_committed = Signal(int)  # an import committed a batch: this many documents so far (from a worker)
    undo_changed = Signal(str)  # description of the step Ctrl+Z would undo, "" if none
    redo_changed = Signal(str)  # and of the step Ctrl+Shift+Z would redo

    def __init__(self, service: CatalogService, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.undo_text = self.redo_text = ""  # what Ctrl+Z / Ctrl+Shift+Z would do, read after each write
        # Undo steps survive a restart: say at once what Ctrl+Z would undo.
        self.runner.run(self._history_texts, self._history_loaded)
        self._following = False
        # The core calls listeners from the thread that wrote; the signal
        # queues the call onto the GUI thread.
        self._forward = self.catalog_changed.emit
        service.writer.listeners.append(self._forward)

    def close(self) -> None:
        """Stop hearing the core (the window closes; the service may live on)."""
        if self._forward in self.service.writer.listeners:
            self.service.writer.listeners.remove(self._forward)

    def announce(self, changes: ChangeSet, message: str = "") -> None:
        """Refresh the window for a write made outside these operations in this
        process (background OCR, issue 14): the same ``changed`` its own writes emit."""
        if not changes.empty:
            self.changed.emit(change_of(changes, message))

    # -- what others write -----------------------------------------------------

    def follow(self, interval_ms: int = 2000) -> None:
        """Every ``interval_ms``: let the index catch up with the change log
        (writes that waited for a busy index) and refresh from what other
        processes wrote (the CLI beside the app, a colleague's desktop)."""
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.hear_others)
        self._timer.start(interval_ms)

    def hear_others(self) -> None:
        if self._following:
            return  # the last round is still running
        self._following = True

        def work() -> tuple[ChangeSet, tuple[str, str]]:
            self.service.writer.catch_up()
            # The CLI's changes are this desktop's too: Ctrl+Z may undo them.
            return self.service.writer.hear_others(), self._history_texts()

        def finished(answer: tuple[ChangeSet, tuple[str, str]] | None, error: BaseException | None) -> None:
            self._following = False
            if error is not None:
                log.warning("could not follow the change log: %s", error)
                return
            changes, texts = answer
            if texts != (self.undo_text, self.redo_text):
                self._set_history_texts(texts)
            if not changes.empty:
                self.changed.emit(change_of(changes, ""))

        self.runner.run(work, finished)

    # -- plumbing --------------------------------------------------------------

    def run(self, action: str, work: Callable[..., _Outcome],
            done: Callable[[Any], None] | None = None, progress: Progress | None = None) -> None:
        service = self.service

        def finished(answer: tuple[_Outcome, tuple[str, str]] | None, error: BaseException | None) -> None:
            try:
                if error is not None:
                    self.failed.emit(action, error)
                    return
                outcome, texts = answer
                self._set_history_texts(texts)
                self.changed.emit(outcome.change)
                if done is not None:
                    done(outcome.result)
            finally:
                self.finished.emit()

        def task(*args) -> tuple[_Outcome, tuple[str, str]]:
            return work(service, *args), self._history_texts()  # read where the write ran, not on the UI thread

        if progress is not None:
            self.runner.run(lambda: task(progress), finished, write=True)
        else:
            self.runner.run(task, finished, write=True)

    def _history_texts(self) -> tuple[str, str]:
        undo, redo = self.service.history.next_undo(), self.service.history.next_redo()
        return (undo.description if undo else ""), (redo.description if redo else "")

    def _history_loaded(self, texts: tuple[str, str] | None, error: BaseException | None) -> None:
        if error is None and texts is not None:
            self._set_history_texts(texts)

    def _set_history_texts(self, texts: tuple[str, str]) -> None:
        self.undo_text, self.redo_text = texts
        self.undo_changed.emit(self.undo_text)
        self.redo_changed.emit(self.redo_text)

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_text)

    def undo(self) -> None:
        """Undo the last change made on this desktop (from here or the CLI)."""
        def work(s: CatalogService) -> _Outcome:
            undone = s.history.undo()
            return _Outcome(change_of(undone.changes, f"Undid: {undone.description}"))

        self.run("Could not undo", work)

    def redo(self) -> None:
        def work(s: CatalogService) -> _Outcome:
            redone = s.history.redo()
            return _Outcome(change_of(redone.changes, f"Redid: {redone.description}"))

        self.run("Could not redo", work)

    # -- documents -------------------------------------------------------------

    def create_document(self, new: NewDocument, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            detail = s.documents.create_document(new)
            return _Outcome(
                Change(frozenset({detail.id}), structure=True, tags=bool(new.tags), organizations=bool(new.organizations),
                       select=detail.id, message=f"Created “{detail.title}”"),
                result=detail,
            )

        self.run("Could not create the document", work, done)

    def update_document(self, doc_id: int, changes: dict, organizations=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            detail = s.documents.update_document(doc_id, **changes)
            if organizations is not None:
                current = tuple((o.name, o.role) for o in detail.organizations)
                if current != tuple(organizations):
                    detail = s.documents.set_organizations(doc_id, organizations)
            # a new kind or date moves the row: reload the lists
            return _Outcome(Change(frozenset({doc_id}), structure=True, organizations=organizations is not None,
                                   select=doc_id, message=f"Saved “{detail.title}”"))

        self.run("Could not save the document", work)

    def delete_documents(self, doc_ids: Iterable[int]) -> None:
        doc_ids = list(doc_ids)

        def work(s: CatalogService) -> _Outcome:
            deleted = s.documents.delete_documents(doc_ids)
            what = f"“{deleted[0].title}”" if len(deleted) == 1 else f"{len(deleted)} documents"
            return _Outcome(Change(frozenset(doc_ids), structure=True, tags=True, organizations=True,
                                   message=f"Moved {what} to the trash"))

        self.run("Could not delete", work)

    # -- tags ------------------------------------------------------------------

    def _tag_change(self, action: str, description: str, names: list[str], change_fn, doc_ids=(), done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            seen: list[ChangeSet] = []
            s.writer.listeners.append(seen.append)  # which documents' chips changed (a rename: every tagged one)
            try:
                result = change_fn(s)
            finally:
                s.writer.listeners.remove(seen.append)
            affected = set(doc_ids).union(*(c.documents for c in seen))
            return _Outcome(Change(frozenset(affected), tags=True, message=description), result)

        self.run(action, work, done)

    def add_tag(self, doc_ids: Iterable[int], name: str) -> None:
        doc_ids = list(doc_ids)
        name = " ".join(name.split())
        what = "1 document" if len(doc_ids) == 1 else f"{len(doc_ids)} documents"
        self._tag_change(f"Could not add the tag “{name}”", f"Tag {what} with “{name}”", [name],
                         lambda s: s.tags.add_tag(doc_ids, name), doc_ids)

    def remove_tag(self, doc_ids: Iterable[int], name: str) -> None:
        doc_ids = list(doc_ids)
        what = "1 document" if len(doc_ids) == 1 else f"{len(doc_ids)} documents"
        self._tag_change(f"Could not remove the tag “{name}”", f"Remove “{name}” from {what}", [name],
                         lambda s: s.tags.remove_tag(doc_ids, name), doc_ids)

    def rename_tag(self, old: str, new: str) -> None:
        self._tag_change(f"Could not rename the tag “{old}”", f"Rename tag “{old}” to “{new}”", [old, new],
                         lambda s: s.tags.rename_tag(old, new))

    def merge_tags(self, sources: list[str], target: str) -> None:
        self._tag_change("Could not merge the tags", f"Merge {', '.join(sources)} into “{target}”", [*sources, target],
                         lambda s: s.tags.merge_tags(sources, target))

    def delete_tags(self, names: list[str]) -> None:
        label = f"“{names[0]}”" if len(names) == 1 else f"{len(names)} tags"
        self._tag_change("Could not delete the tag", f"Delete tag {label}", list(names),
                         lambda s: [s.tags.delete_tag(n) for n in names])

    def set_tag_color(self, name: str, color: str | None) -> None:
        self._tag_change(f"Could not change the colour of “{name}”", f"Colour of “{name}”", [name],
                         lambda s: s.tags.set_tag_color(name, color))

    # -- files -----------------------------------------------------------------

    def attach_files(self, doc_id: int, paths: list[Path], allow_duplicate: bool = False, done=None,
                     progress: Progress | None = None) -> None:
        """Attach file by file, so one duplicate does not block the others."""
        paths = [Path(p) for p in paths]

        def work(s: CatalogService, progress: Progress | None = None) -> _Outcome:
            report = FileReport()
            for n, path in enumerate(paths):
                if progress is not None:
                    if progress.cancelled:
                        report.cancelled = True
                        break
                    progress.report(n, len(paths), f"Attaching {path.name}")
                try:
                    s.attachments.attach_files(doc_id, [path], allow_duplicate=allow_duplicate)
                    report.added.append(path.name)
                except DuplicateAttachment as exc:
                    report.duplicates.append(exc)
                except AlreadyAttached:
                    report.already.append(path.name)
                except (OSError, ValueError) as exc:
                    report.failed.append((path.name, _why(exc)))
            return _Outcome(Change(frozenset({doc_id}), message=f"Attach: {report.summary()}"), result=report)

        self.run("Could not attach the files", work, done, progress)

    def detach(self, doc_id: int, attachment_id: int, name: str) -> None:
        def work(s: CatalogService) -> _Outcome:
            s.attachments.detach(doc_id, attachment_id)
            return _Outcome(Change(frozenset({doc_id}), message=f"Removed {name}"))

        self.run(f"Could not remove {name}", work)

    def import_files(self, paths: list[Path], kind: str, tags: tuple[str, ...], progress: Progress, done=None) -> None:
        """One new document per file (title from the file), through the core's
        batched import: database batches, one index writer for the whole
        import. Each file is still read by the sandboxed extractor; the
        import can be cancelled between files (what was read is kept)."""
        paths = [Path(p) for p in paths]

        def work(s: CatalogService, progress: Progress) -> _Outcome:
            items = [ImportItem(NewDocument(kind=kind, title="", tags=tags), files=(path,)) for path in paths]
            total = len(items)
            reached: list[int] = []

            def on_item(n: int, item: ImportItem) -> None:
                reached.append(n)
                progress.report(n, total, f"Importing {item.files[0].name}")

            # One index writer process: no fork from this threaded Qt process.
            # Smaller batches for a small import, so its rows show as each
            # batch commits (batch_committed), not all at the end.
            batch = max(IMPORT_MIN_BATCH, min(IMPORT_BATCH, total // 10))
            result = s.imports.import_documents(items, batch_size=batch, procs=1, on_item=on_item,
                                      cancelled=lambda: progress.cancelled,
                                      progress=lambda done, _total: self.batch_committed.emit(done))
            progress.report(total, total, "")
            skipped = Counter([d.name for d in result.duplicates] + [name for name, _ in result.failed])
            added = []
            for n in reached:
                name = paths[n].name
                if skipped[name]:
                    skipped[name] -= 1
                else:
                    added.append(name)
            report = FileReport(
                added=added,
                documents=list(result.ids),
                duplicates=list(result.duplicates),
                failed=list(result.failed),
                cancelled=result.cancelled,
            )
            # No select: the document being read stays selected.
            change = Change(frozenset(report.documents), structure=True, tags=bool(tags and report.documents),
                            message=f"Import: {report.summary()}")
            return _Outcome(change, result=report)

        self.run("Could not import the files", work, done, progress)


def change_of(changes: ChangeSet, message: str) -> Change:
    """What the window refreshes for a core ChangeSet."""
    return Change(changes.created | changes.changed, structure=bool(changes.created or changes.deleted),
                  tags=changes.tags, organizations=changes.organizations, message=message)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or exc.__class__.__name__


__all__ = ["Cancelled", "Change", "FileReport", "Operations", "change_of"]
