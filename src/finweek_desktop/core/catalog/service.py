"""The catalog service: every write goes through here.

Each write commits its rows and one change-log row per document it touched
in the same transaction (``changelog.py``); the search index follows that
log (``index_follower.py``). A committed write is saved whatever the index
does: when the index is busy or fails, the change waits in the log and the
write's ChangeSet says it is not searchable yet. Reads hand out plain
dataclasses from ``records``, never ORM objects.

The class is assembled from one part per job (documents, tags, reference
data, attachments, index integrity); this module holds what they share: the
sessions and the write path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from .. import changelog
from ..attachments.previews import Previews
from ..attachments.store import AttachmentStore
from ..changes import ChangeSet
from ..index_follower import IndexFollower
from ..models import Change, Document
from ..search.index import SearchIndex, SearchResults
from . import tracking
from .attaching import AttachmentsMixin
from .documents import DocumentsMixin
from .integrity import IntegrityMixin
from .reference import ReferenceMixin
from .tagging import TaggingMixin

log = logging.getLogger(__name__)


class Write:
    """One transaction of the writer: its session, the ids of documents it
    touched beyond what the session sees (bulk statements, tag renames),
    and, once committed, what changed and the log sequences it took."""

    def __init__(self, session: DbSession):
        self.session = session
        self.touched: set[int] = set()
        self.changes = ChangeSet()
        self.seqs: tuple[int, ...] = ()

    def __iter__(self):  # `with service.writing() as (session, touched):`
        return iter((self.session, self.touched))


class CatalogService(DocumentsMixin, TaggingMixin, ReferenceMixin, AttachmentsMixin, IntegrityMixin):
    """The one writer of a catalog: database, attachment store and index."""

    def __init__(self, engine: Engine, index: SearchIndex, store: AttachmentStore | None = None):
        self.engine = engine
        self.index = index
        self.store = store
        self.previews = Previews(store) if store is not None else None
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        event.listen(self._sessions, "after_flush", tracking.note_flush)
        event.listen(self._sessions, "after_rollback", tracking.forget)
        if store is not None:
            self._watch_deleted_files()
        self.follower = IndexFollower(
            engine, index, self._indexed_documents, self.count_documents, on_aliases=self.refresh_synonyms
        )
        # Called with each committed write's ChangeSet (the GUI's one refresh signal).
        self.listeners: list[Callable[[ChangeSet], None]] = []
        self.refresh_synonyms()

    # -- the write path ------------------------------------------------------

    @contextmanager
    def writing(self, *, follow: bool = True) -> Iterator[Write]:
        """A transaction whose changes are logged with it; after the commit the
        index catches up (unless ``follow`` is False: a bulk import indexes its
        own rows). Nothing after the commit raises: the write is saved."""
        with self._sessions.begin() as session:
            write = Write(session)
            yield write
            session.flush()
            write.changes = self._log(session, write.touched)
            session.flush()
            write.seqs = tuple(c.seq for c in session.identity_map.values() if isinstance(c, Change))
        if follow:
            write.changes = self._follow(write.changes)
        self._announce(write.changes)

    def _log(self, session: DbSession, touched: set[int]) -> ChangeSet:
        seen = tracking.forget(session)
        others = (touched | seen.changed) - seen.created - seen.deleted
        existing = set(session.scalars(select(Document.id).where(Document.id.in_(others)))) if others else set()
        deleted = seen.deleted | (others - existing)
        changes = ChangeSet(
            created=frozenset(seen.created), changed=frozenset(existing), deleted=frozenset(deleted),
            tags=seen.tags, organizations=seen.organizations, attachments=frozenset(seen.attachments),
        )
        changelog.record(session, changes.created, changes.changed, changes.deleted, seen.aliases)
        return changes

    def _follow(self, changes: ChangeSet) -> ChangeSet:
        if changes.empty:
            return changes
        try:
            if self.follower.catch_up():
                return changes
        except Exception:  # the write is saved: the log keeps the change for later
            log.warning("the search index could not follow the write; it will catch up later", exc_info=True)
        return changes.not_searchable_yet()

    def _announce(self, changes: ChangeSet) -> None:
        for listener in list(self.listeners):
            try:
                listener(changes)
            except Exception:
                log.exception("a change listener failed")

    def catch_up(self, *, wait: bool = False) -> bool:
        """Bring the index up to the change log now (at open, on a timer)."""
        try:
            return self.follower.catch_up(wait=wait)
        except Exception:
            log.warning("the search index could not catch up with the change log", exc_info=True)
            return False

    def sync_index(self, ids: Iterable[int]) -> None:
        """Make the index entries of ``ids`` match the database (repair)."""
        ids = set(ids)
        if not ids:
            return
        documents = list(self._indexed_documents(ids))
        self.index.apply(documents, ids - {d.id for d in documents})

    # -- search ------------------------------------------------------------------

    def search(self, text: str, **options) -> SearchResults:
        return self.index.search(text, **options)
