"""Which processes have the index open, to tell a clean stop from an unclean one.

Each open SearchIndex holds a marker file beside the index, locked (an OS
lock, released by the system when the process dies) until it closes, when
the marker is removed. A marker nobody holds belongs to a process that
stopped with the index open: killed, crashed, or the machine lost power.
Whoosh does not sync its files, so after such a stop a segment may hold
other bytes than were written while keeping its size; the next open then
reads every index file against its checksums (checksums.py), which at other
times only ``finweek check`` does.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from filelock import FileLock, Timeout

log = logging.getLogger(__name__)

_SUFFIX = ".open"


class Sessions:
    """Markers of the open sessions of one index, in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._mine: FileLock | None = None

    def begin(self) -> None:
        """Mark this session open (nothing if it is already)."""
        if self._mine is not None:
            return
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Not thread-local: the session is the object's, whichever thread
        # opens or closes the index.
        lock = FileLock(self.folder / f"{uuid.uuid4().hex}{_SUFFIX}", mode=0o600, thread_local=False)
        lock.acquire()
        self._mine = lock

    def end(self) -> None:
        """Mark this session closed cleanly."""
        lock, self._mine = self._mine, None
        if lock is not None:
            lock.release()
            Path(lock.lock_file).unlink(missing_ok=True)

    def ended_uncleanly(self) -> list[Path]:
        """The markers of sessions that stopped without closing; call under
        the index's folder lock, then ``forget`` them once dealt with."""
        if not self.folder.is_dir():
            return []
        mine = Path(self._mine.lock_file) if self._mine is not None else None
        stale = []
        for path in sorted(self.folder.glob(f"*{_SUFFIX}")):
            if path == mine:
                continue
            probe = FileLock(path, mode=0o600, thread_local=False)
            try:
                probe.acquire(blocking=False)
            except Timeout:
                continue  # held: that session is open
            except OSError as exc:
                log.warning("cannot tell whether %s is open: %s", path, exc)
                continue
            probe.release()
            stale.append(path)
        return stale

    @staticmethod
    def forget(markers: list[Path]) -> None:
        for path in markers:
            path.unlink(missing_ok=True)
