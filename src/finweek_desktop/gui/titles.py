"""Titles as the lists compare them: folded as search folds them (case,
accents, Traditional to Simplified: 澳门 finds 澳門金融周筆記, associacao
finds Associação), and ordered naturally (paper 2 before paper 10).

The database filters with a plain lower-case substring and sorts titles as
text; the tables ask it for the ids in its title order, then filter and
order those ids here with the titles of a cache shared by every table. The
cache is filled from the worker that builds a table's id list (a first
filter over 50,000 documents reads their titles once), and forgets the
titles of documents that change.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence

from ..core.search.analysis import fold_term

_NUMBER = re.compile(r"(\d+)")


def fold_title(text: str) -> str:
    """A title or a filter, folded as the search index folds words."""
    return fold_term(" ".join(text.split()))


def natural_key(folded: str) -> tuple:
    """Numbers compare as numbers: ("paper ", 2) before ("paper ", 10)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _NUMBER.split(folded) if part)


class Titles:
    """Folded titles by document id (thread-safe)."""

    def __init__(self, service):
        self._service = service
        self._folded: dict[int, str] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def folded(self, ids: Sequence[int]) -> dict[int, str]:
        """The folded titles of ``ids`` (any thread; reads the missing ones)."""
        with self._lock:
            missing = [doc_id for doc_id in ids if doc_id not in self._folded]
            generation = self._generation
        if missing:
            fresh = {row.id: fold_title(row.title) for row in self._service.documents.summaries(missing)}
            with self._lock:
                if generation == self._generation:  # nothing changed meanwhile
                    self._folded.update(fresh)
        else:
            fresh = {}
        with self._lock:
            return {doc_id: self._folded.get(doc_id, fresh.get(doc_id, "")) for doc_id in ids}

    def forget(self, ids: Iterable[int] | None = None) -> None:
        """Documents changed (None: maybe all of them)."""
        with self._lock:
            self._generation += 1
            if ids is None:
                self._folded.clear()
            else:
                for doc_id in ids:
                    self._folded.pop(doc_id, None)

    def filter(self, ids: Sequence[int], text: str) -> list[int]:
        """The ids whose title holds ``text``, as search would match it."""
        needle = fold_title(text)
        if not needle:
            return list(ids)
        folded = self.folded(ids)
        return [doc_id for doc_id in ids if needle in folded[doc_id]]

    def natural_order(self, ids: Sequence[int], descending: bool = False) -> list[int]:
        """``ids`` (in the database's title order) in natural title order."""
        folded = self.folded(ids)
        return sorted(ids, key=lambda doc_id: natural_key(folded[doc_id]), reverse=descending)
