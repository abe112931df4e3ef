"""A small on-disk list of documents whose index entry may be stale.

The service writes the ids here before committing to the database and
clears them once the index has them. After a crash between the two, the
next start finds the ids and re-indexes just those documents.

Several processes (the CLI beside the desktop app) may write at once, so
every read-modify-write of the file holds a lock shared between processes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from .filelock import FileLock


class IndexJournal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = FileLock(self.path.with_name(self.path.name + ".lock"))

    def pending(self) -> set[int]:
        try:
            return {int(i) for i in json.loads(self.path.read_text())}
        except FileNotFoundError:
            return set()
        except (ValueError, TypeError, OSError):
            # Unreadable: the caller cannot know what is stale.
            raise JournalDamaged(self.path) from None

    def mark(self, ids: Iterable[int]) -> None:
        ids = set(ids)
        if not ids:
            return
        with self._lock:
            try:
                current = self.pending()
            except JournalDamaged:
                current = set()
            self._write(current | ids)

    def clear(self, ids: Iterable[int]) -> None:
        ids = set(ids)
        if not ids:
            return
        with self._lock:
            try:
                remaining = self.pending() - ids
            except JournalDamaged:
                remaining = set()
            if remaining:
                self._write(remaining)
            else:
                self.path.unlink(missing_ok=True)

    def reset(self) -> None:
        """Forget everything (after a full re-index from a damaged journal)."""
        with self._lock:
            self.path.unlink(missing_ok=True)

    def _write(self, ids: set[int]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump(sorted(ids), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


class JournalDamaged(Exception):
    """The journal could not be read: a full check is needed."""
