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
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from .. import changelog
from ..attachments.previews import Previews
from ..attachments.store import AttachmentStore
from ..changes import ChangeAction, ChangeSet, changes_of
from ..index_follower import GAP_GRACE_SECONDS, IndexFollower, Position
from ..models import Change, Document
from ..search.index import SearchIndex, SearchResults
from . import tracking
from .attaching import AttachmentsMixin
from .documents import DocumentsMixin
from .history import History
from .trash import Trash
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
        self.follower = IndexFollower(engine, index, self._indexed_documents, self.count_documents)
        self.trash = Trash(self)
        self.history = History(self)
        # Called with the ChangeSet of each committed write, and of changes
        # other processes (a colleague's desktop) wrote, once this index has
        # them: the GUI's one "catalog changed" signal. Maybe from a worker thread.
        self.listeners: list[Callable[[ChangeSet], None]] = []
        self._own_seqs: set[int] = set()  # announced at write time already
        with engine.connect() as connection:
            self._heard = Position(changelog.last_seq(connection))  # how far this process announced the log
        self._background: threading.Thread | None = None
        self._stop = threading.Event()
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
            write.changes, logged = self._log(session, write.touched)
            session.flush()
            write.seqs = tuple(row.seq for row in logged)
        if any(row.document_id is None for row in logged):  # names every search expands changed
            self.refresh_synonyms()
        self._own_seqs.update(write.seqs)
        if follow:
            write.changes = self._follow(write.changes)
        self._announce(write.changes)

    def _log(self, session: DbSession, touched: set[int]) -> tuple[ChangeSet, list[Change]]:
        seen = tracking.forget(session)
        others = (touched | seen.changed) - seen.created - seen.deleted
        existing = set(session.scalars(select(Document.id).where(Document.id.in_(others)))) if others else set()
        deleted = seen.deleted | (others - existing)
        changes = ChangeSet(
            created=frozenset(seen.created), changed=frozenset(existing), deleted=frozenset(deleted),
            # a document created or deleted changes tag and organization counts
            tags=seen.tags or bool(seen.created or deleted), organizations=seen.organizations or bool(seen.created or deleted),
            attachments=frozenset(seen.attachments),
        )
        return changes, changelog.record(session, changes.created, changes.changed, changes.deleted, seen.aliases)

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
        if changes.empty:
            return
        for listener in list(self.listeners):
            try:
                listener(changes)
            except Exception:
                log.exception("a change listener failed")

    def hear_others(self) -> ChangeSet:
        """Announce what other processes (the CLI beside the app, a colleague's
        desktop) wrote since the last call, and take their new names into the
        synonyms. Returns what was announced."""
        with self.engine.connect() as connection:
            rows = changelog.read_after(connection, self._heard.through, 10_000)
        new = [r for r in rows if r.seq not in self._heard.applied]
        self._heard.advance((r.seq for r in rows), time.time(), GAP_GRACE_SECONDS)
        foreign = [r for r in new if r.seq not in self._own_seqs]
        self._own_seqs.difference_update(r.seq for r in new)
        if not foreign:
            return ChangeSet()
        if any(r.action == ChangeAction.ALIASES for r in foreign):
            self.refresh_synonyms()
        changes = changes_of(foreign)
        self._announce(changes)
        return changes

    def follow_in_background(self, interval: float = 2.0) -> None:
        """Catch up every ``interval`` seconds in a daemon thread, so what
        waited for a busy index, or came from another desktop, arrives by itself."""
        if self._background is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                self.catch_up()
                try:
                    self.hear_others()
                except Exception:  # e.g. the team server unreachable for a moment
                    log.warning("could not read the change log", exc_info=True)

        self._background = threading.Thread(target=loop, name="finweek-index-follower", daemon=True)
        self._background.start()

    def stop_following(self) -> None:
        self._stop.set()
        if self._background is not None:
            self._background.join(timeout=30)
            self._background = None

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
