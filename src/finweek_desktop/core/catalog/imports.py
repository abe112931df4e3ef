"""Bulk import: many documents at once, at library scale.

``import_documents`` writes the database in batches, each batch one
transaction through ``CatalogWriter.writing()``, and feeds every batch to a
single index writer that stays open for the whole import (two writer
processes when the import is large). One writer for the whole import keeps
the index at a few segments, so search stays fast after importing 50,000
documents; a writer per small batch would leave hundreds of segments.

Attachments are stored the way the app stores them: a row in
``attachments`` with its file in the content-addressed store and its
extracted text in ``Attachment.text``. An ``ImportItem`` brings files
(``files``: copied, typed and extracted like ``attach_files`` does, the
parser sandboxed unless ``sandbox=False``) and/or text (``content``: written
to the store as a UTF-8 ``.txt`` file the catalog made itself, so its plain
text extraction runs in this process). The index entries then come from the
catalog's own ``Integrity.indexed_documents`` alone, so ``check()`` agrees after the
import and after any re-index.

Crash safety: a batch's files are made durable in the store before its rows
are committed (``AttachmentStore.commit_many``: the data fsyncs of the batch
in parallel, then one fsync per directory), under the store's lock; each
batch's change-log rows commit with it and are marked applied only once the
index has committed, so an import interrupted half-way is finished from the
log at the next start. A crash can leave at worst
copies no row refers to, which ``finweek check`` reports and ``--repair``
removes; never a row without its file.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import func, select

from ..attachments.extraction import extract_text
from ..attachments.filetypes import PLAIN, guess_mime
from ..attachments.ingest import PreparedFile, check_sources, title_from
from ..attachments.records import DuplicateAttachment
from ..changes import ChangeSet
from ..models import DocumentOrganization, Organization, OrganizationAlias, Place, Tag
from ..records import NewDocument
from ..search.index import IndexBusy, SearchIndex
from ..search.schema import IndexedDocument
from ..vocabulary import OrganizationRole
from .attaching import Attachments
from .common import NotFound, clean_tag_name, document_row
from .history import History
from .integrity import Integrity
from .writer import CatalogWriter, retry_conflicts

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
# From this many documents on, the index is written by two processes.
MULTIPROCESS_THRESHOLD = 2000


@dataclass(frozen=True)
class ImportItem:
    document: NewDocument  # an empty title is taken from the first file (metadata, heading or name)
    content: str = ""  # text of the document's attachment: stored as a UTF-8 .txt file
    files: tuple[Path, ...] = ()  # files to attach
    content_name: str = ""  # the .txt file's name; by default from the title


@dataclass(frozen=True)
class ImportReport:
    ids: tuple[int, ...]
    seconds: float
    # Items skipped: a file another document holds (or an earlier item of
    # this import), a file that cannot be read. By the file's name.
    duplicates: tuple[DuplicateAttachment, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    cancelled: bool = False
    changes: ChangeSet = field(default_factory=ChangeSet, compare=False, repr=False)

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass
class _Prepared:
    document: NewDocument
    files: list[PreparedFile] = field(default_factory=list)


class Imports:
    """Bulk import: many documents at once, through the catalog's writer."""

    def __init__(
        self,
        writer: CatalogWriter,
        index: SearchIndex,
        integrity: Integrity,
        attachments: Attachments,
        history: History,
    ):
        self.writer = writer
        self.index = index
        self.integrity = integrity
        self.attachments = attachments
        self.history = history

    def import_documents(self, items: Iterable[ImportItem | NewDocument], **options) -> ImportReport:
        """See ``import_documents``."""
        return import_documents(self, items, **options)


def import_documents(
    imports: Imports,
    items: Iterable[ImportItem | NewDocument],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    procs: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    on_item: Callable[[int, ImportItem], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    allow_duplicate_files: bool = False,
    sandbox: bool = True,
    undo_as: str | None = None,
) -> ImportReport:
    """Create every document of ``items``; returns their ids in order.

    ``procs`` is the number of index writer processes; by default two when
    the import has ``MULTIPROCESS_THRESHOLD`` documents or more (and the
    machine has two cores), else one. ``progress(done, total)`` follows each
    committed batch; ``on_item(position, item)`` is called before each item
    is prepared (its files copied and read); ``cancelled()`` is asked before
    each item: when it says yes, what was prepared is imported and the
    import stops. An item whose file another document already holds is
    skipped and reported unless ``allow_duplicate_files``; so is an item
    whose file cannot be read. ``content`` is never checked for duplicates:
    the same text is stored once and linked.

    The whole import is one undo step (``undo_as`` its description, by
    default "Import N documents"): undo moves every document it added to the
    trash, redo brings them back.
    """
    started = time.perf_counter()
    iterator = iter(items)
    total = len(items) if isinstance(items, Sized) else None
    # Look ahead far enough to decide on processes without knowing the total.
    head = list(itertools.islice(iterator, MULTIPROCESS_THRESHOLD))
    if procs is None:
        procs = min(2, os.cpu_count() or 1) if len(head) >= MULTIPROCESS_THRESHOLD else 1
    source = enumerate(itertools.chain(head, iterator))
    resolver = _Resolver()
    ids: list[int] = []
    state = _State(imports, allow_duplicate_files, sandbox)

    def indexed() -> Iterator[IndexedDocument]:
        while not state.cancelled:
            with ExitStack() as stack:  # copies not committed are removed
                batch: list[_Prepared] = []
                for position, raw in source:
                    if cancelled is not None and cancelled():
                        state.cancelled = True
                        break
                    item = _as_item(raw)
                    if on_item is not None:
                        on_item(position, item)
                    prepared = state.prepare(item, stack)
                    if prepared is not None:
                        batch.append(prepared)
                    if len(batch) >= batch_size:
                        break
                else:
                    state.exhausted = True
                if batch:
                    batch_ids = _insert_batch(imports, resolver, batch, state)
                    ids.extend(batch_ids)
            if batch:
                yield from imports.integrity.indexed_documents(batch_ids)
                if progress:
                    progress(len(ids), total)
            if state.exhausted:
                return

    # Other writers' changes wait in the log meanwhile; the import records
    # its own as applied once its index commit is done, then applies theirs.
    follower = imports.writer.require_follower()
    try:
        with follower.exclusive():
            imports.index.add_many(indexed(), procs=procs)
            follower.mark_applied(state.seqs)
    except IndexBusy as exc:  # its commit failed (a full disk, a read-only folder)
        if not ids:
            raise  # nothing was written
        # The batches are saved and wait in the change log: a saved import is never reported failed.
        log.warning("the import was saved; it will be searchable once the index can be written: %s", exc)
        state.changes = state.changes.not_searchable_yet()
    else:
        imports.writer.catch_up(wait=True)
    if ids:
        what = "1 document" if len(ids) == 1 else f"{len(ids)} documents"
        try:
            imports.history.record_added(ids, undo_as or f"Import {what}")
        except Exception as exc:  # the documents are saved: the import is not failed for its undo step
            log.warning("the import of %s was saved but cannot be undone as one step: %s", what, exc)
    duplicates = [
        *state.duplicates,
        *(
            DuplicateAttachment(name, tuple(imports.attachments.holders_by_hash(sha256)))
            for name, sha256 in state.later_duplicates
        ),
    ]
    return ImportReport(
        tuple(ids),
        time.perf_counter() - started,
        tuple(duplicates),
        tuple(state.failed),
        state.cancelled,
        state.changes,
    )


def _as_item(item: ImportItem | NewDocument) -> ImportItem:
    return item if isinstance(item, ImportItem) else ImportItem(item)


class _State:
    """Preparing items: files staged and read before any transaction starts."""

    def __init__(self, imports: Imports, allow_duplicates: bool, sandbox: bool):
        self.imports = imports
        self.seqs: list[int] = []  # the change log rows of the committed batches
        self.changes = ChangeSet()  # and what they changed
        self.allow_duplicates = allow_duplicates
        self.sandbox = sandbox
        self.seen: set[str] = set()  # hashes of files of this import
        self.duplicates: list[DuplicateAttachment] = []
        self.later_duplicates: list[tuple[str, str]] = []  # held by an earlier item: holders known at the end
        self.failed: list[tuple[str, str]] = []
        self.cancelled = False
        self.exhausted = False

    def prepare(self, item: ImportItem, stack: ExitStack) -> _Prepared | None:
        prepared = _Prepared(item.document)
        if item.files:
            try:
                paths = check_sources(item.files)
            except (OSError, ValueError) as exc:
                self.failed.append((_name_of(item.files[0]), _why(exc)))
                return None
            for path in paths:
                try:
                    staged = stack.enter_context(self._store().stage(path))
                except OSError as exc:
                    self.failed.append((path.name, _why(exc)))
                    return None
                if not self.allow_duplicates:
                    if staged.sha256 in self.seen:
                        self.later_duplicates.append((path.name, staged.sha256))
                        return None
                    holders = self.imports.attachments.holders_by_hash(staged.sha256)
                    if holders:
                        self.duplicates.append(DuplicateAttachment(path.name, tuple(holders)))
                        return None
                mime = guess_mime(staged.temp, path.name)
                extracted = self.imports.attachments.known_text(staged.sha256) or extract_text(
                    staged.temp, mime, sandbox=self.sandbox
                )
                prepared.files.append(PreparedFile(staged, path.name, mime, extracted))
            self.seen.update(f.staged.sha256 for f in prepared.files)
        if item.content:
            data = item.content.encode("utf-8")
            staged = stack.enter_context(self._store().stage_bytes(data, sync=False))
            # The catalog wrote this file itself: plain text, parsed here.
            extracted = extract_text(staged.temp, PLAIN, sandbox=False)
            name = item.content_name or _text_name(item.document.title, item.files)
            prepared.files.append(PreparedFile(staged, name, PLAIN, extracted))
        if not (item.document.title or "").strip() and prepared.files:
            prepared.document = replace(item.document, title=title_from(prepared.files))
        return prepared

    def _store(self):
        if self.imports.attachments.store is None:
            raise RuntimeError("this catalog was opened without an attachment store")
        return self.imports.attachments.store


def _insert_batch(imports: Imports, resolver: _Resolver, batch: list[_Prepared], state: _State) -> list[int]:
    staged = [f.staged for p in batch for f in p.files]
    if not staged:
        return _insert_rows(imports, resolver, batch, state)
    store = state._store()
    with store.lock, store.committing(s.sha256 for s in staged):
        try:
            # Every file durable in the store before the rows that refer to it.
            store.commit_many(staged)
            return _insert_rows(imports, resolver, batch, state)
        except BaseException:
            # The rows did not commit (or a file could not be moved in):
            # files only they would use must go.
            imports.attachments.release_files({s.sha256 for s in staged})
            raise


def _insert_rows(imports: Imports, resolver: _Resolver, batch: list[_Prepared], state: _State) -> list[int]:
    """Insert a batch, again from scratch when it collided with another
    desktop's write (a tag or an organization it created meanwhile)."""

    tries = 0

    def attempt() -> list[int]:
        nonlocal tries
        if tries:
            resolver.forget()  # ids remembered from the attempt that did not commit
        tries += 1
        return _insert_rows_once(imports, resolver, batch, state)

    return retry_conflicts(attempt)


def _insert_rows_once(imports: Imports, resolver: _Resolver, batch: list[_Prepared], state: _State) -> list[int]:
    with imports.writer.writing(follow=False) as write, write.session.no_autoflush:
        session = write.session  # the import indexes the batch itself
        resolver.start(session, batch)
        documents = []
        for prepared in batch:
            new = prepared.document
            document = document_row(new)
            document.tags = resolver.tags(new.tags)
            document.places = resolver.places(new.places)
            seen = set()
            for name, role in new.organizations:
                organization = resolver.organization(name)
                role = OrganizationRole.parse(role).value
                if (id(organization), role) not in seen:
                    seen.add((id(organization), role))
                    document.organization_links.append(DocumentOrganization(organization=organization, role=role))
            document.attachments = [f.row() for f in prepared.files]
            session.add(document)
            documents.append(document)
        session.flush()
        resolver.finish()
        ids = [d.id for d in documents]
    state.seqs.extend(write.seqs)
    state.changes = state.changes.merged(write.changes)
    return ids


def _text_name(title: str, files: Sequence[Path]) -> str:
    base = (title or "").strip() or (Path(files[0]).stem if files else "") or "text"
    base = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", base)
    return " ".join(base.split())[:120] + ".txt"


def _name_of(path) -> str:
    return Path(path).name or str(path)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or exc.__class__.__name__


class _Resolver:
    """Tags, organizations and places by name: a few queries per batch.

    Names seen in earlier batches are remembered by id, so a batch loads its
    tags, organizations and places with one query each.
    """

    def __init__(self) -> None:
        self._org_ids: dict[str, int | None] = {}
        self._place_ids: dict[str, int | None] = {}

    def forget(self) -> None:
        """Forget every name looked up: a batch that collided with another
        desktop's write runs again and finds what that one created."""
        self._org_ids.clear()
        self._place_ids.clear()

    def start(self, session, batch: list[_Prepared]) -> None:
        self.session = session
        documents = [item.document for item in batch]
        tag_keys = {clean_tag_name(n).casefold() for d in documents for n in d.tags}
        self._tags = (
            {t.name_key: t for t in session.scalars(select(Tag).where(Tag.name_key.in_(tag_keys)))} if tag_keys else {}
        )
        org_keys = {name.strip().casefold() for d in documents for name, _ in d.organizations}
        for key in org_keys - self._org_ids.keys():
            self._org_ids[key] = session.scalar(
                select(Organization.id).where(func.lower(Organization.name) == key)
            ) or session.scalar(
                select(OrganizationAlias.organization_id).where(func.lower(OrganizationAlias.alias) == key)
            )
        by_id = _load(session, Organization, {i for k in org_keys if (i := self._org_ids[k]) is not None})
        self._orgs = {k: by_id[self._org_ids[k]] for k in org_keys if self._org_ids[k] is not None}
        place_keys = {name.strip().casefold() for d in documents for name in d.places}
        for key in place_keys - self._place_ids.keys():
            self._place_ids[key] = session.scalar(select(Place.id).where(func.lower(Place.name) == key))
        by_id = _load(session, Place, {i for k in place_keys if (i := self._place_ids[k]) is not None})
        self._places = {k: by_id[self._place_ids[k]] for k in place_keys if self._place_ids[k] is not None}

    def finish(self) -> None:
        """After the batch's flush: remember the ids of organizations it created."""
        for key, org in self._orgs.items():
            self._org_ids[key] = org.id

    def tags(self, names: Iterable[str]) -> list[Tag]:
        result: dict[str, Tag] = {}
        for name in names:
            name = clean_tag_name(name)
            key = name.casefold()
            tag = self._tags.get(key)
            if tag is None:
                tag = self._tags[key] = Tag(name=name, name_key=key)
                self.session.add(tag)
            result[key] = tag
        return list(result.values())

    def places(self, names: Iterable[str]) -> list[Place]:
        places: list[Place] = []
        for name in names:
            place = self._places.get(name.strip().casefold())
            if place is None:
                raise NotFound(f"no place named {name!r}")
            if place not in places:
                places.append(place)
        return places

    def organization(self, name: str) -> Organization:
        key = name.strip().casefold()
        org = self._orgs.get(key)
        if org is None:
            org = self._orgs[key] = Organization(name=name.strip())
            self.session.add(org)
        return org


def _load(session, model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}
