"""The catalog's one writer: every write of every part goes through here.

Each write commits its rows and one change-log row per document it touched
in the same transaction (``changelog.py``); the search index follows that
log (``index_follower.py``). A committed write is saved whatever the index
does: when the index is busy or fails, the change waits in the log and the
write's ChangeSet says it is not searchable yet. Listeners hear the
ChangeSet of every write, and of what other processes wrote.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .. import changelog
from ..changes import ChangeAction, ChangeSet, changes_of
from ..database import full_disk_message, out_of_space_message, server_failure
from ..errors import CatalogFull, CatalogUnavailable
from ..index_follower import GAP_GRACE_SECONDS, IndexFollower, Position
from ..models import Change, Document
from . import tracking

log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")
CONFLICT_TRIES = 5
# PostgreSQL's answers when two desktops' transactions collide: a serialization
# failure, a deadlock, a unique or foreign-key row another transaction just
# committed (a tag created, a tag merged away). Running the write again, it
# sees that row and does the right thing (uses the tag, says the alias is taken).
_CONFLICT_STATES = {"40001", "40P01", "23505", "23503"}


def is_conflict(exc: BaseException) -> bool:
    """A collision with another desktop's transaction, which a retry resolves
    (never on SQLite, where writers take turns and such an error is final)."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    return getattr(exc.orig, "sqlstate", None) in _CONFLICT_STATES


def retry_conflicts(attempt: Callable[[], _T], tries: int = CONFLICT_TRIES) -> _T:
    """Run a whole write again when it collided with another desktop's (see
    is_conflict), or found a document saved meanwhile by another desktop: a
    write that re-reads what it changes (a tag added, a file attached) is
    right to run again; an edit of fields is not (it reports ChangedMeanwhile)."""
    for n in range(tries):
        try:
            return attempt()
        except StaleDataError as exc:  # a document another desktop saved meanwhile (its version moved on)
            if n == tries - 1:
                raise
            log.info("a write collided with another desktop's; trying again (%s)", exc)
        except DBAPIError as exc:
            if n == tries - 1 or not is_conflict(exc):
                raise
            log.info("a write collided with another desktop's; trying again (%s)", exc.orig)
            time.sleep(random.uniform(0.01, 0.05) * (n + 1))
    raise AssertionError("unreachable")


def retried(method: Callable[_P, _T]) -> Callable[_P, _T]:
    """A write method that runs again when it collides with another desktop's."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return retry_conflicts(lambda: method(*args, **kwargs))

    return wrapper


class Write:
    """One transaction of the writer: its session, the ids of documents it
    touched beyond what the session sees (bulk statements, tag renames),
    and, once committed, what changed and the log sequences it took."""

    def __init__(self, session: DbSession):
        self.session = session
        self.touched: set[int] = set()
        self.changes = ChangeSet()
        self.seqs: tuple[int, ...] = ()

    def __iter__(self):  # `with writer.writing() as (session, touched):`
        return iter((self.session, self.touched))


class CatalogWriter:
    """Sessions, the write path and the change log's followers of one catalog."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        event.listen(self.sessions, "after_flush", tracking.note_flush)
        event.listen(self.sessions, "after_rollback", tracking.forget)
        # Called with the ChangeSet of each committed write, and of changes
        # other processes (a colleague's desktop) wrote, once this index has
        # them: the GUI's one "catalog changed" signal. Maybe from a worker thread.
        self.listeners: list[Callable[[ChangeSet], None]] = []
        # Called when places' or organizations' names changed (the synonyms).
        self.on_names_changed: Callable[[], None] | None = None
        self.follower: IndexFollower | None = None  # set once the parts that feed it exist
        # Why the database is open for reading only (a full disk: startup.py), for the user,
        # and the folder on that disk.
        self.full_disk: str | None = None
        self.full_disk_folder: Path | None = None
        self._own_seqs: set[int] = set()  # announced at write time already
        # How far this process announced the log; None until the server answers
        # (a team catalog opened while its server cannot be reached).
        self._heard: Position | None = None
        try:
            self._start_hearing()
        except DBAPIError as exc:
            if server_failure(exc) is None:
                raise
        self._hearing = threading.Lock()  # hear_others runs on a timer and on a team's notifications
        self._background: threading.Thread | None = None
        self._stop = threading.Event()

    @contextmanager
    def read(self, session: DbSession | None = None) -> Iterator[DbSession]:
        """A session to read with: the caller's own, or a fresh one."""
        if session is not None:
            yield session
            return
        with self.sessions() as fresh:
            yield fresh

    def _names_changed(self) -> None:
        if self.on_names_changed is not None:
            self.on_names_changed()

    # -- the write path ------------------------------------------------------

    @contextmanager
    def writing(self, *, follow: bool = True) -> Iterator[Write]:
        """A transaction whose changes are logged with it; after the commit the
        index catches up (unless ``follow`` is False: a bulk import indexes its
        own rows). Nothing after the commit raises: the write is saved."""
        try:
            with self.sessions.begin() as session:
                write = Write(session)
                yield write
                session.flush()
                write.changes, logged = self._log(session, write.touched)
                session.flush()
                write.seqs = tuple(row.seq for row in logged)
        except DBAPIError as exc:  # a team catalog: the server away, or a role that may only read
            full = self._full_disk(exc)
            if full is not None:
                raise CatalogFull(f"nothing was written: {full}") from exc
            failure = server_failure(exc)
            if isinstance(failure, CatalogUnavailable):
                raise CatalogUnavailable(f"{failure}; nothing was saved") from exc
            if failure is not None:
                raise failure from exc
            raise
        if any(row.action == ChangeAction.ALIASES for row in logged):  # names every search expands changed
            self._names_changed()
        self._own_seqs.update(write.seqs)
        if follow:
            write.changes = self._follow(write.changes)
        self._announce(write.changes)

    def _full_disk(self, exc: DBAPIError) -> str | None:
        """What to tell the user when a write failed for a full disk: opened
        for reading only because of one, or SQLite's "database or disk is full"."""
        folder = self.full_disk_folder
        if self.full_disk is not None and folder is not None:
            now = full_disk_message(folder)  # how much is free now
            if now is None:  # freed since: this open cannot write, the next one can
                return (
                    f"the catalog was opened for reading only while the disk holding {folder} was full; "
                    "there is room again now: reopen the catalog (restart the app) to write"
                )
            return now
        if self.full_disk is not None:
            return self.full_disk
        if self.engine.dialect.name == "sqlite" and "disk is full" in str(exc.orig):
            database = self.engine.url.database
            return out_of_space_message(Path(database).parent) if database else str(exc.orig)
        return None

    def _log(self, session: DbSession, touched: set[int]) -> tuple[ChangeSet, list[Change]]:
        seen = tracking.forget(session)
        others = (touched | seen.changed) - seen.created - seen.deleted
        existing = set(session.scalars(select(Document.id).where(Document.id.in_(others)))) if others else set()
        deleted = seen.deleted | (others - existing)
        changes = ChangeSet(
            created=frozenset(seen.created),
            changed=frozenset(existing),
            deleted=frozenset(deleted),
            # a document created or deleted changes tag and organization counts
            tags=seen.tags or bool(seen.created or deleted),
            organizations=seen.organizations or bool(seen.created or deleted),
            attachments=frozenset(seen.attachments),
            collections=seen.collections or bool(deleted),
        )
        logged = changelog.record(
            session, changes.created, changes.changed, changes.deleted, seen.aliases, collections=seen.collections
        )
        return changes, logged

    def _follow(self, changes: ChangeSet) -> ChangeSet:
        if changes.empty:
            return changes
        try:
            if self.follower is not None and self.follower.catch_up():
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
        with self._hearing:
            return self._hear_others()

    def _start_hearing(self) -> None:
        with self.engine.connect() as connection:
            self._heard = Position(changelog.last_seq(connection))

    def _hear_others(self) -> ChangeSet:
        if self._heard is None:  # the first answer of a server that could not be reached at open
            self._start_hearing()
            self._names_changed()
            return ChangeSet()  # what came meanwhile reaches the index by the log; nothing to announce
        with self.engine.connect() as connection:
            rows = changelog.read_after(connection, self._heard.through, 10_000)
        new = [r for r in rows if r.seq not in self._heard.applied]
        self._heard.advance((r.seq for r in rows), time.time(), GAP_GRACE_SECONDS)
        foreign = [r for r in new if r.seq not in self._own_seqs]
        self._own_seqs.difference_update(r.seq for r in new)
        if not foreign:
            return ChangeSet()
        if any(r.action == ChangeAction.ALIASES for r in foreign):
            self._names_changed()
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

    def require_follower(self) -> IndexFollower:
        """The index follower, which the catalog sets up before anything writes."""
        if self.follower is None:
            raise RuntimeError("this catalog's index follower is not set up yet")
        return self.follower

    def stop_following(self) -> None:
        self._stop.set()
        if self._background is not None:
            self._background.join(timeout=30)
            self._background = None

    def catch_up(self, *, wait: bool = False) -> bool:
        """Bring the index up to the change log now (at open, on a timer)."""
        if self.follower is None:
            return False
        try:
            return self.follower.catch_up(wait=wait)
        except Exception as exc:
            away = server_failure(exc)  # a team catalog's server away: said once by the window, not a traceback
            log.warning(
                "the search index could not catch up with the change log%s",
                f": {away}" if away else "",
                exc_info=away is None,
            )
            return False
