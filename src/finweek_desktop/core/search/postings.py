"""Postings, phrase answers and field lengths read for ranking, cached per segment.

The reading itself (Whoosh's on-disk posting blocks, a whole term into numpy
arrays) is in whoosh_internals.py, with the contract it relies on; this
module keeps what was read. Segments never change once written, so an
entry is valid as long as its segment lives.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from . import whoosh_internals
from .whoosh_internals import EMPTY_FLOATS, EMPTY_IDS, Postings

__all__ = ["EMPTY_FLOATS", "EMPTY_IDS", "FieldLengths", "Postings", "PostingsCache", "read", "segment_id"]


def segment_id(reader):
    segment = getattr(reader, "segment", None)
    segment = segment() if callable(segment) else segment
    return None if segment is None else segment.segment_id()


def read(reader, fieldname: str, btext: bytes, with_values: bool = False) -> Postings:
    """All postings of a term in a segment, deleted documents included."""
    return whoosh_internals.read_postings(reader, fieldname, btext, with_values)


class PostingsCache:
    """Recently read postings, by segment, field, term and whether their
    positions were read, and where phrases were found (``phrase_docs``): at
    most ``max_bytes`` of them, least recently used first out.

    Reading a common word's postings (decompressing and unpickling a few
    hundred blocks) is most of a search at 50,000 documents; a researcher
    refines a query word by word, so the same terms come back. Segments
    never change once written, so an entry is valid as long as its segment
    lives (deleted documents are filtered after reading).
    """

    def __init__(self, max_bytes: int = 96 << 20):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[Postings | np.ndarray, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def read(self, reader, fieldname: str, btext: bytes, with_values: bool = False) -> Postings:
        segment = segment_id(reader)
        if segment is None:
            return read(reader, fieldname, btext, with_values)
        key = (segment, fieldname, btext, with_values)
        cached = self._recalled(key)
        if cached is not None:
            assert isinstance(cached, Postings)
            return cached
        found = read(reader, fieldname, btext, with_values)
        size = found.ids.nbytes + found.weights.nbytes + 64
        if found.values:
            size += sum(map(len, found.values)) + 40 * len(found.values)
        self._keep(key, found, size)
        return found

    def phrase_docs(self, reader, fieldname: str, btexts: tuple[bytes, ...], slop: int) -> np.ndarray | None:
        """The documents of the segment where a phrase was found (sorted; the
        caller drops those deleted since), if a search checked all its
        candidates."""
        segment = segment_id(reader)
        if segment is None:
            return None
        docs = self._recalled((segment, fieldname, btexts, ("phrase", slop)))
        assert docs is None or isinstance(docs, np.ndarray)
        return docs

    def keep_phrase_docs(self, reader, fieldname: str, btexts: tuple[bytes, ...], slop: int, docs: np.ndarray) -> None:
        """Remember where a phrase stands, checked in every candidate: the
        positions decoded for it cost more than reading its words, and its
        answer never changes in a segment (deletions are filtered after)."""
        segment = segment_id(reader)
        if segment is not None:
            self._keep((segment, fieldname, btexts, ("phrase", slop)), docs, docs.nbytes + 64 + sum(map(len, btexts)))

    def _recalled(self, key: tuple) -> Postings | np.ndarray | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def _keep(self, key: tuple, value, size: int) -> None:
        if size > self.max_bytes // 4:
            return  # one huge entry would flush everything else
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (value, size)
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _key, (_old, old_size) = self._entries.popitem(last=False)
                    self._bytes -= old_size

    def forget_except(self, readers) -> None:
        """Drop the entries of segments no longer in the index."""
        keep = {segment_id(r) for r in readers}
        with self._lock:
            for key in [k for k in self._entries if k[0] not in keep]:
                self._bytes -= self._entries.pop(key)[1]


class FieldLengths:
    """Each segment's per-document field lengths, read once as an array."""

    def __init__(self):
        self._arrays: dict[tuple, np.ndarray] = {}

    def of(self, reader, fieldname: str) -> np.ndarray:
        key = (segment_id(reader), fieldname)
        array = self._arrays.get(key)
        if array is None:
            array = whoosh_internals.field_lengths(reader, fieldname)
            if key[0] is not None:
                self._arrays[key] = array
        return array

    def forget_except(self, readers) -> None:
        keep = {segment_id(r) for r in readers}
        for key in [k for k in self._arrays if k[0] not in keep]:
            del self._arrays[key]
