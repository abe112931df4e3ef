"""Writes, run one at a time on the write pool, each reporting what changed.

In the spirit of Anki's operations. What to refresh is the core's answer:
every write (this window's, the CLI's, a colleague's) announces a
``ChangeSet``, which ``catalog_changed`` carries to each widget that shows
catalog data. An operation adds only what the window says and selects
afterwards (``Done``). Undo is the core's (``CatalogService.history``): Ctrl+Z
here and `finweek undo` walk the same steps, which survive a restart.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.attachments.records import AlreadyAttached, DuplicateAttachment
from ..core.catalog import CatalogService
from ..core.catalog.folders import scan
from ..core.catalog.imports import ImportItem
from ..core.display import safe_display_name
from ..core.records import NewDocument
from .tasks import Cancelled, Progress, TaskRunner

log = logging.getLogger(__name__)
IMPORT_BATCH = 100  # files per database batch of an import
IMPORT_MIN_BATCH = 10  # ... at least (a batch is a commit)


@dataclass(frozen=True)
class Done:
    """What the window says, and selects, after one of its own writes."""

    message: str = ""
    select: int | None = None  # a document to select afterwards


@dataclass
class FileReport:
    """What became of each file of an attach or an import."""

    added: list[str] = field(default_factory=list)  # file names
    documents: list[int] = field(default_factory=list)  # created by an import
    duplicates: list[DuplicateAttachment] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # on this document already
    failed: list[tuple[str, str]] = field(default_factory=list)  # name, why
    links: list[tuple[str, str]] = field(default_factory=list)  # a link's name, the target attached (#17.13)
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
        said = ", ".join(parts) or "nothing to do"
        for name, target in self.links:  # a link attaches its target: say which
            said += f"; {safe_display_name(name)} is a link: attached its target {safe_display_name(target)}"
        return said


@dataclass
class _Outcome:
    done: Done
    result: Any = None
    extra: dict = field(default_factory=dict)


class Operations(QObject):
    done = Signal(object)  # Done: after each of this window's writes that succeeded
    # Every ChangeSet the core announces: this desktop's writes and what other
    # processes wrote. Widgets that show catalog data subscribe here.
    catalog_changed = Signal(object)  # ChangeSet
    # Emitted from a team catalog's listening thread when a colleague committed:
    # queued onto the GUI thread, it runs hear_others at once (not at the next tick).
    wake = Signal()
    # After each round of hear_others: whether the index has applied every
    # change of the log (False: busy, e.g. another process imports; the changes wait).
    index_followed = Signal(bool)
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
        self._timer: QTimer | None = None  # follow()'s
        # The core calls listeners from the thread that wrote; the signal
        # queues the call onto the GUI thread.
        self._forward = self.catalog_changed.emit
        service.writer.listeners.append(self._forward)
        self.wake.connect(self.hear_others)

    def close(self) -> None:
        """Stop hearing the core (the window closes; the service may live on)."""
        if self._timer is not None:
            self._timer.stop()
        if self._forward in self.service.writer.listeners:
            self.service.writer.listeners.remove(self._forward)

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

        def work() -> tuple[bool, tuple[str, str]]:
            up_to_date = self.service.writer.catch_up()
            self.service.writer.hear_others()  # what they changed goes to catalog_changed
            # The CLI's changes are this desktop's too: Ctrl+Z may undo them.
            return up_to_date, self._history_texts()

        def finished(answer: tuple[bool, tuple[str, str]] | None, error: BaseException | None) -> None:
            self._following = False
            if error is not None:
                log.warning("could not follow the change log: %s", error)
                return
            if answer is None:
                return
            up_to_date, texts = answer
            self.index_followed.emit(up_to_date)
            if texts != (self.undo_text, self.redo_text):
                self._set_history_texts(texts)

        self.runner.run(work, finished)

    # -- plumbing --------------------------------------------------------------

    def run(
        self,
        action: str,
        work: Callable[..., _Outcome],
        done: Callable[[Any], None] | None = None,
        progress: Progress | None = None,
    ) -> None:
        service = self.service

        def finished(answer: tuple[_Outcome, tuple[str, str]] | None, error: BaseException | None) -> None:
            try:
                if error is not None:
                    self.failed.emit(action, error)
                    return
                assert answer is not None  # no error: the task's answer
                outcome, texts = answer
                self._set_history_texts(texts)
                self.done.emit(outcome.done)
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
            return _Outcome(Done(f"Undid: {undone.description}"))

        self.run("Could not undo", work)

    def redo(self) -> None:
        def work(s: CatalogService) -> _Outcome:
            redone = s.history.redo()
            return _Outcome(Done(f"Redid: {redone.description}"))

        self.run("Could not redo", work)

    # -- documents -------------------------------------------------------------

    def create_document(self, new: NewDocument, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            detail = s.documents.create_document(new)
            return _Outcome(Done(f"Created “{detail.title}”", select=detail.id), result=detail)

        self.run("Could not create the document", work, done)

    def update_document(
        self, doc_id: int, changes: dict, organizations=None, persons=None, expected_version: int | None = None
    ) -> None:
        """``expected_version``: the version the edit started from; someone
        else's save meanwhile fails the edit (ChangedMeanwhile) instead of being overwritten."""

        def work(s: CatalogService) -> _Outcome:
            detail = s.documents.update_document(doc_id, expected_version=expected_version, **changes)
            if organizations is not None:
                current = tuple((o.name, o.role) for o in detail.organizations)
                if current != tuple(organizations):
                    detail = s.documents.set_organizations(doc_id, organizations)
            if persons is not None and tuple(persons) != detail.persons:
                detail = s.documents.set_persons(doc_id, persons)
            return _Outcome(Done(f"Saved “{detail.title}”", select=doc_id))

        self.run("Could not save the document", work)

    def delete_documents(self, doc_ids: Iterable[int]) -> None:
        doc_ids = list(doc_ids)

        def work(s: CatalogService) -> _Outcome:
            deleted = s.documents.delete_documents(doc_ids)
            what = f"“{deleted[0].title}”" if len(deleted) == 1 else f"{len(deleted)} documents"
            return _Outcome(Done(f"Moved {what} to the trash"))

        self.run("Could not delete", work)

    # -- tags ------------------------------------------------------------------

    def _tag_change(self, action: str, description: str, change_fn, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            return _Outcome(Done(description), change_fn(s))

        self.run(action, work, done)

    def add_tag(self, doc_ids: Iterable[int], name: str) -> None:
        doc_ids = list(doc_ids)
        name = " ".join(name.split())
        what = "1 document" if len(doc_ids) == 1 else f"{len(doc_ids)} documents"
        self._tag_change(
            f"Could not add the tag “{name}”", f"Tag {what} with “{name}”", lambda s: s.tags.add_tag(doc_ids, name)
        )

    def remove_tag(self, doc_ids: Iterable[int], name: str) -> None:
        doc_ids = list(doc_ids)
        what = "1 document" if len(doc_ids) == 1 else f"{len(doc_ids)} documents"
        self._tag_change(
            f"Could not remove the tag “{name}”",
            f"Remove “{name}” from {what}",
            lambda s: s.tags.remove_tag(doc_ids, name),
        )

    def rename_tag(self, old: str, new: str) -> None:
        self._tag_change(
            f"Could not rename the tag “{old}”", f"Rename tag “{old}” to “{new}”", lambda s: s.tags.rename_tag(old, new)
        )

    def merge_tags(self, sources: list[str], target: str) -> None:
        self._tag_change(
            "Could not merge the tags",
            f"Merge {', '.join(sources)} into “{target}”",
            lambda s: s.tags.merge_tags(sources, target),
        )

    def delete_tags(self, names: list[str]) -> None:
        label = f"“{names[0]}”" if len(names) == 1 else f"{len(names)} tags"
        self._tag_change(
            "Could not delete the tag", f"Delete tag {label}", lambda s: [s.tags.delete_tag(n) for n in names]
        )

    def set_tag_color(self, name: str, color: str | None) -> None:
        self._tag_change(
            f"Could not change the colour of “{name}”",
            f"Colour of “{name}”",
            lambda s: s.tags.set_tag_color(name, color),
        )

    # -- files -----------------------------------------------------------------

    def attach_files(
        self, doc_id: int, paths: list[Path], allow_duplicate: bool = False, done=None, progress: Progress | None = None
    ) -> None:
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
                    if path.is_symlink():
                        report.links.append((path.name, str(path.resolve())))
                except DuplicateAttachment as exc:
                    report.duplicates.append(exc)
                except AlreadyAttached:
                    report.already.append(path.name)
                except (OSError, ValueError) as exc:
                    report.failed.append((path.name, _why(exc)))
            return _Outcome(Done(f"Attach: {report.summary()}"), result=report)

        self.run("Could not attach the files", work, done, progress)

    def detach(self, doc_id: int, attachment_id: int, name: str) -> None:
        def work(s: CatalogService) -> _Outcome:
            s.attachments.detach(doc_id, attachment_id)
            return _Outcome(Done(f"Removed {name}"))

        self.run(f"Could not remove {name}", work)

    def import_files(
        self,
        paths: list[Path],
        kind: str,
        tags: tuple[str, ...],
        progress: Progress,
        done=None,
        date: str | None = None,
        organizations: tuple[tuple[str, str], ...] = (),
        session_id: int | None = None,
    ) -> None:
        """One new document per file (title from the file), through the core's
        batched import: database batches, one index writer for the whole
        import. Each file is still read by the sandboxed extractor; the
        import can be cancelled between files (what was read is kept).
        Folders are walked as `finweek import` walks them (core/catalog/folders.py);
        ``date``, ``organizations`` and ``session_id`` go to every document."""
        found = scan(paths)
        paths = found.files

        def work(s: CatalogService, progress: Progress) -> _Outcome:
            event_id = None
            if session_id is not None:
                events = s.reference.events()
                event_id = events[0]["id"] if len(events) == 1 else None
            template = NewDocument(
                kind=kind,
                title="",
                tags=tags,
                date=date,
                organizations=organizations,
                session_id=session_id,
                event_id=event_id,
            )
            items = [ImportItem(template, files=(path,)) for path in paths]
            total = len(items)
            reached: list[int] = []

            def on_item(n: int, item: ImportItem) -> None:
                reached.append(n)
                progress.report(n, total, f"Importing {item.files[0].name}")

            # One index writer process: no fork from this threaded Qt process.
            # Smaller batches for a small import, so its rows show as each
            # batch commits (batch_committed), not all at the end.
            batch = max(IMPORT_MIN_BATCH, min(IMPORT_BATCH, total // 10))
            result = s.imports.import_documents(
                items,
                batch_size=batch,
                procs=1,
                on_item=on_item,
                cancelled=lambda: progress.cancelled,
                progress=lambda done, _total: self.batch_committed.emit(done),
            )
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
                failed=list(result.failed) + [(Path(p).name, why) for p, why in found.skipped],
                cancelled=result.cancelled,
            )
            # No select: the document being read stays selected.
            return _Outcome(Done(f"Import: {report.summary()}"), result=report)

        self.run("Could not import the files", work, done, progress)

    def import_references(self, paths: list[Path], progress: Progress, done=None) -> None:
        """One document per new entry of BibTeX, RIS and CSL-JSON files
        (core/catalog/bibliography.py); ``done`` gets its RefImportReport."""

        def work(s: CatalogService, progress: Progress) -> _Outcome:
            def stage(text: str, n: int, total: int | None) -> None:
                progress.report(n, total or 0, text)

            # One index writer process: no fork from this threaded Qt process.
            result = s.bibliography.import_files(paths, progress=stage, procs=1)
            message = (
                f"Import references: {len(result.added)} added, {len(result.duplicates)} duplicates skipped, "
                f"{len(result.refused)} refused"
            )
            return _Outcome(Done(message), result=result)

        self.run("Could not import the references", work, done, progress)

    # -- collections, saved searches, notes, batch edit (core: catalog/collections.py, notes.py, batch.py) --
    # The sidebar and the notes panel refresh from ``catalog_changed`` (the
    # ChangeSet says ``collections``, and which documents changed).

    def collect(self, doc_ids: Iterable[int], path: str, done=None) -> None:
        doc_ids = list(doc_ids)

        def work(s: CatalogService) -> _Outcome:
            result = s.collections.collect(doc_ids, path)
            n = len(result.documents)
            what = "1 document" if n == 1 else f"{n} documents"
            already = "" if n == len(set(doc_ids)) else f" ({len(set(doc_ids)) - n} already there)"
            return _Outcome(Done(f"Added {what} to “{result.collection.path}”" + already), result=result)

        self.run(f"Could not add to “{path}”", work, done)

    def uncollect(self, doc_ids: Iterable[int], path: str, done=None) -> None:
        doc_ids = list(doc_ids)

        def work(s: CatalogService) -> _Outcome:
            result = s.collections.uncollect(doc_ids, path)
            n = len(result.documents)
            what = "1 document" if n == 1 else f"{n} documents"
            return _Outcome(Done(f"Removed {what} from “{path}”"), result=result)

        self.run(f"Could not remove from “{path}”", work, done)

    def create_collection(self, name: str, parent_id: int | None = None, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            info = s.collections.create(name, parent_id)
            return _Outcome(Done(f"New collection “{info.path}”"), result=info)

        self.run("Could not create the collection", work, done)

    def rename_collection(self, collection_id: int, name: str, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            info = s.collections.rename(collection_id, name)
            return _Outcome(Done(f"Renamed to “{info.name}”"), result=info)

        self.run("Could not rename", work, done)

    def delete_collection(self, collection_id: int, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            info = s.collections.delete(collection_id)
            return _Outcome(Done(f"Deleted “{info.path}” (the documents stay)"), result=info)

        self.run("Could not delete", work, done)

    def save_search(self, path: str, query: str, sort: str, kinds: list[str], tags: list[str], done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            info = s.collections.save_search(path, query, sort=sort, kinds=kinds, tags=tags)
            return _Outcome(Done(f"Saved the search “{info.path}”"), result=info)

        self.run("Could not save the search", work, done)

    def add_note(self, doc_id: int, body: str, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            note = s.notes.add(doc_id, body)
            return _Outcome(Done("Note added"), result=note)

        self.run("Could not add the note", work, done)

    def edit_note(self, note_id: int, body: str, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            note = s.notes.edit(note_id, body)
            return _Outcome(Done("Note saved"), result=note)

        self.run("Could not save the note", work, done)

    def delete_note(self, note_id: int, done=None) -> None:
        def work(s: CatalogService) -> _Outcome:
            note = s.notes.delete(note_id)
            return _Outcome(Done("Note deleted"), result=note)

        self.run("Could not delete the note", work, done)

    def batch_edit(self, doc_ids: Iterable[int], options: dict, done=None) -> None:
        """``options``: keyword arguments of ``service.batch.edit`` (kind, date,
        session_id, add_organizations); one write, one undo step."""
        doc_ids = list(doc_ids)

        def work(s: CatalogService) -> _Outcome:
            result = s.batch.edit(doc_ids, **options)
            n = len(result.documents)
            what = "1 document" if n == 1 else f"{n} documents"
            return _Outcome(Done(f"Edited {what}"), result=result)

        self.run("Could not edit the documents", work, done)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or exc.__class__.__name__


__all__ = ["Cancelled", "Done", "FileReport", "Operations"]
