"""The search index follows the change log.

Writes never touch the index themselves: they commit their rows and their
log rows together, then ask the follower to catch up. The follower reads the
log beyond the position the index records, re-reads the named documents from
the database and applies them in one index commit, then records the new
position in the index folder. Applying a change twice is harmless (it
re-reads the document as it is now), so a crash between the index commit and
the position write only costs a repeat.

On a server, sequence numbers are taken before commit, so a change can commit
after a later one was already applied. The position is therefore the highest
sequence below which every change was applied (``through``), plus the changes
applied above it; a missing number (a gap) is waited for, and only taken for a
rolled-back transaction after ``GAP_GRACE_SECONDS``.

If the index is busy (another process imports or rebuilds) or fails, nothing
is lost: the change waits in the log, and the next catch-up, at open, after
the next write or from the app's background timer, applies it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Engine, func, select

from . import changelog
from .models import Change
from .search.index import IndexBusy, SearchIndex
from .search.schema import IndexedDocument

log = logging.getLogger(__name__)

POSITION_FILE = "finweek-index-position.json"
GAP_GRACE_SECONDS = 300.0
_BATCH = 5000

DocumentSource = Callable[[Iterable[int] | None], Iterator[IndexedDocument]]


@dataclass
class Position:
    through: int
    applied: set[int] = field(default_factory=set)  # applied sequences above ``through``
    gaps: dict[int, float] = field(default_factory=dict)  # missing sequence -> first seen (epoch)

    def advance(self, seen: Iterable[int], now: float, grace: float) -> None:
        """Take ``seen`` as applied and move ``through`` as far as no
        sequence is missing (or missing for longer than ``grace``)."""
        self.applied.update(s for s in seen if s > self.through)
        if not self.applied:
            self.gaps.clear()
            return
        top = max(self.applied)
        for missing in range(self.through + 1, top):
            if missing not in self.applied:
                self.gaps.setdefault(missing, now)
        while self.through < top:
            following = self.through + 1
            if following in self.applied:
                self.applied.discard(following)
            elif now - self.gaps.get(following, now) < grace:
                break
            self.gaps.pop(following, None)
            self.through = following
        self.gaps = {s: t for s, t in self.gaps.items() if s > self.through}

    def to_json(self) -> dict:
        return {
            "through": self.through,
            "applied": sorted(self.applied),
            "gaps": {str(s): t for s, t in sorted(self.gaps.items())},
        }

    @classmethod
    def from_json(cls, data: dict) -> Position:
        return cls(
            int(data["through"]),
            {int(s) for s in data.get("applied", ())},
            {int(s): float(t) for s, t in data.get("gaps", {}).items()},
        )


class IndexFollower:
    """Keeps one desktop's search index in step with the catalog's change log."""

    def __init__(
        self,
        engine: Engine,
        index: SearchIndex,
        documents: DocumentSource,
        count_documents: Callable[[], int],
        gap_grace: float = GAP_GRACE_SECONDS,
    ):
        self.engine = engine
        self.index = index
        self._documents = documents
        self._count_documents = count_documents
        self._gap_grace = gap_grace
        # One follower at a time, across threads and processes: catching up
        # reads the position, applies and writes it back.
        self._lock = FileLock(index.directory.with_name(index.directory.name + "-follow.lock"))
        self._threads = threading.RLock()

    # -- the position ------------------------------------------------------

    @property
    def _position_path(self) -> Path:
        return self.index.directory / POSITION_FILE

    def position(self) -> Position | None:
        """Where the index stands in the log; None when it does not say
        (an index from before the log, or a rebuild cut short)."""
        try:
            return Position.from_json(json.loads(self._position_path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _save(self, position: Position) -> None:
        temp = self._position_path.with_suffix(".tmp")
        try:
            temp.write_text(json.dumps(position.to_json()))
            os.replace(temp, self._position_path)
        except OSError as exc:  # a full disk: what was applied is applied again next time (harmless)
            temp.unlink(missing_ok=True)
            log.warning("could not record how far the search index follows the change log: %s", exc)

    def pending(self) -> int:
        """How many logged changes the index has not applied yet."""
        position = self.position()
        with self.engine.connect() as connection:
            if position is None:
                return connection.scalar(select(func.count()).select_from(Change)) or 0
            beyond = connection.scalar(select(func.count()).where(Change.seq > position.through)) or 0
        return max(0, beyond - len(position.applied))

    # -- following ---------------------------------------------------------

    @contextmanager
    def _holding(self, wait: bool) -> Iterator[bool]:
        if not self._threads.acquire(blocking=wait):
            yield False
            return
        try:
            try:
                self._lock.acquire(timeout=-1 if wait else 0)
            except Timeout:
                yield False
                return
            try:
                yield True
            finally:
                self._lock.release()
        finally:
            self._threads.release()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold off every other follower (a bulk import writing the index itself)."""
        with self._holding(wait=True):
            yield

    def catch_up(self, *, wait: bool = False) -> bool:
        """Apply what the log holds beyond the index; True when the index is
        up to date. Without ``wait``, a busy index (or follower) returns
        False at once: the changes wait in the log for the next catch-up."""
        with self._holding(wait) as held:
            if not held:
                return False
            position = self.position()
            if position is not None:
                with self.engine.connect() as connection:
                    pruned_through = changelog.pruned_through(connection)
                if position.through >= pruned_through:
                    return self._apply_after(position, timeout=30.0 if wait else 0.0)
                log.warning("the search index is behind what the change log keeps; rebuilding it")
            try:
                self._rebuild()
            except IndexBusy:  # e.g. its folder is read-only: the changes wait in the log
                return False
            return True

    def _apply_after(self, position: Position, timeout: float) -> bool:
        while True:
            with self.engine.connect() as connection:
                rows = changelog.read_after(connection, position.through, _BATCH + len(position.applied))
            todo = [r for r in rows if r.seq not in position.applied]
            if not todo:
                break
            ids = {r.document_id for r in todo if r.document_id is not None}
            documents = list(self._documents(ids)) if ids else []
            gone = ids - {d.id for d in documents}
            try:
                self.index.apply(documents, gone, timeout=timeout)
            except IndexBusy:
                return False
            position.advance((r.seq for r in rows), time.time(), self._gap_grace)
            self._save(position)
            if len(rows) < _BATCH:
                break
        return True

    def mark_applied(self, seqs: Iterable[int]) -> None:
        """Record changes the caller applied to the index itself (a bulk
        import's own writer). Hold ``exclusive()`` around the index commit and this."""
        seqs = list(seqs)
        if not seqs:  # nothing was written (an import whose every file failed)
            return
        with self._holding(wait=True):
            position = self.position()
            if position is not None:
                position.advance(seqs, time.time(), self._gap_grace)
                self._save(position)

    # -- rebuilding --------------------------------------------------------

    def rebuild(self, progress: Callable[[int, int | None], None] | None = None) -> int:
        """Rebuild the index from the database, then apply what was written meanwhile."""
        with self._holding(wait=True):
            count = self._rebuild(progress)
            position = self.position()
            if position is not None:
                self._apply_after(position, timeout=30.0)
            return count

    def _rebuild(self, progress: Callable[[int, int | None], None] | None = None) -> int:
        # The position is taken before the database is read: a change that
        # commits during the rebuild is either read or applied after it.
        with self.engine.connect() as connection:
            position = Position(changelog.pruned_through(connection))
            seqs = connection.scalars(select(Change.seq).where(Change.seq > position.through)).all()
        position.advance(seqs, time.time(), self._gap_grace)
        count = self.index.rebuild(self._documents(None), total=self._count_documents(), progress=progress)
        self._save(position)
        return count
