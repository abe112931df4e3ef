"""The catalog service: every write goes through here.

It keeps SQLite (or any SQLAlchemy database) and the Whoosh index
consistent: each write commits to the database, then updates the index for
the documents it touched. The ids are put in the index journal before the
commit and taken out after the index update, so a crash in between is
repaired at the next start. Reads hand out plain dataclasses from
``records``, never ORM objects.

The class is assembled from one part per job (documents, tags, reference
data, attachments, index integrity); this module holds what they share: the
sessions and the write path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from ..attachments.previews import Previews
from ..attachments.store import AttachmentStore
from ..journal import IndexJournal, JournalDamaged
from ..search.index import SearchIndex, SearchResults
from .attaching import AttachmentsMixin
from .documents import DocumentsMixin
from .integrity import DROP_WITHOUT_ASKING, IntegrityMixin
from .reference import ALIAS_MODELS, ReferenceMixin
from .tagging import TaggingMixin

log = logging.getLogger(__name__)

# session.info key: the transaction changed a place, an organization or an alias.
_ALIASES_CHANGED = "aliases_changed"


def _note_alias_changes(session: DbSession, _flush_context) -> None:
    """After each flush: whether the alias groups the index searches with
    must be read again once the transaction commits. Seeding, imports, undo
    and alias edits all write through ``writing()``, so all are seen."""
    if session.info.get(_ALIASES_CHANGED):
        return
    changed = (
        any(isinstance(obj, ALIAS_MODELS) for obj in session.new)
        or any(isinstance(obj, ALIAS_MODELS) for obj in session.deleted)
        # (a new or removed alias of an organization is in new / deleted)
        or any(isinstance(obj, ALIAS_MODELS) and session.is_modified(obj, include_collections=False)
               for obj in session.dirty)
    )
    if changed:
        session.info[_ALIASES_CHANGED] = True


class CatalogService(DocumentsMixin, TaggingMixin, ReferenceMixin, AttachmentsMixin, IntegrityMixin):
    """The one writer of a catalog: database, attachment store and index."""

    def __init__(
        self, engine: Engine, index: SearchIndex, journal: IndexJournal, store: AttachmentStore | None = None
    ):
        self.engine = engine
        self.index = index
        self.journal = journal
        self.store = store
        self.previews = Previews(store) if store is not None else None
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        event.listen(self._sessions, "after_flush", _note_alias_changes)
        if store is not None:
            self._watch_deleted_files()
        self.refresh_synonyms()

    # -- the write path ------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[tuple[DbSession, set[int]]]:
        """A transaction whose touched document ids are re-indexed after commit."""
        touched: set[int] = set()
        with self._sessions.begin() as session:
            yield session, touched
            session.flush()
            self.journal.mark(touched)
        self.sync_index(touched)
        if session.info.pop(_ALIASES_CHANGED, False):
            self.refresh_synonyms()

    def sync_index(self, ids: Iterable[int]) -> None:
        """Make the index entries of ``ids`` match the database."""
        ids = set(ids)
        if not ids:
            return
        documents = list(self._indexed_documents(ids))
        present = {d.id for d in documents}
        gone = ids - present
        if documents:
            self.index.upsert(documents)
        if gone:
            self.index.delete(gone)
        self.journal.clear(ids)

    def recover(self) -> int:
        """Re-index what a crash left between database and index; returns how many."""
        try:
            pending = self.journal.pending()
        except JournalDamaged:
            log.warning("index journal unreadable; bringing the whole index in step")
            report = self.check()
            if report.index_damaged:
                self.reindex()
                return self.count_documents()
            # Unasked, only a few documents may leave the index (`check --repair` asks for more),
            # and the store is left to `check`.
            orphans = report.orphans_in_index if len(report.orphans_in_index) <= DROP_WITHOUT_ASKING else ()
            ids = set(report.missing_from_index) | set(report.stale_in_index) | set(orphans)
            self.sync_index(ids)
            self.journal.reset()
            return len(ids)
        if pending:
            log.info("re-indexing %d documents left pending by an interrupted write", len(pending))
            self.sync_index(pending)
        return len(pending)

    # -- search ------------------------------------------------------------------

    def search(self, text: str, **options) -> SearchResults:
        return self.index.search(text, **options)
