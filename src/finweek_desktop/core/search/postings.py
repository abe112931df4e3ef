"""Whoosh's on-disk postings, read a block at a time into numpy arrays.

A Whoosh 3 posting block is a pickled ``(ids, weights, values)`` tuple,
zlib-compressed or not: ids delta-encoded, weights the term frequencies,
values (for fields with positions) one ``pack_uint(n) + pickle(deltas)``
byte string per posting. Whoosh's matcher decodes them one posting per
Python call; here a whole term becomes arrays, and the positions of many
postings are decoded together (``positions``) by walking the pickled lists
with numpy, one opcode of every list per step.

Segments never change once written, so ``FieldLengths`` caches per segment.
"""

from __future__ import annotations

import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_FLOATS = np.zeros(0, dtype=np.float64)


class Postings(NamedTuple):
    """A term's postings in one segment, deleted documents included."""

    ids: np.ndarray  # sorted segment-local document numbers
    weights: np.ndarray  # term frequency in each
    values: tuple | None = None  # per posting: encoded positions (bytes), when asked for


def segment_id(reader):
    segment = getattr(reader, "segment", None)
    segment = segment() if callable(segment) else segment
    return None if segment is None else segment.segment_id()


def read(reader, fieldname: str, btext: bytes, with_values: bool = False) -> Postings:
    """All postings of a term in a segment."""
    matcher = _raw_matcher(reader, fieldname, btext)
    if matcher is None:
        return Postings(EMPTY_IDS, EMPTY_FLOATS, () if with_values else None)
    if not isinstance(matcher, W3LeafMatcher):  # inlined postings of a rare term
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if with_values:
                values.append(matcher.value())
            matcher.next()
        return Postings(np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64),
                        tuple(values) if with_values else None)
    blocks = list(_blocks(matcher, with_values))
    values = None
    if with_values:
        values = tuple(v for _ids, _weights, block_values in blocks for v in block_values)
    return Postings(np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]), values)


class PostingsCache:
    """Recently read postings, by segment, field, term and whether their
    positions were read: at most ``max_bytes`` of them, least recently used
    first out.

    Reading a common word's postings (decompressing and unpickling a few
    hundred blocks) is most of a search at 50,000 documents; a researcher
    refines a query word by word, so the same terms come back. Segments
    never change once written, so an entry is valid as long as its segment
    lives (deleted documents are filtered after reading).
    """

    def __init__(self, max_bytes: int = 96 << 20):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[Postings, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def read(self, reader, fieldname: str, btext: bytes, with_values: bool = False) -> Postings:
        segment = segment_id(reader)
        if segment is None:
            return read(reader, fieldname, btext, with_values)
        key = (segment, fieldname, btext, with_values)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[0]
        found = read(reader, fieldname, btext, with_values)
        size = found.ids.nbytes + found.weights.nbytes + 64
        if found.values:
            size += sum(map(len, found.values)) + 40 * len(found.values)
        if size > self.max_bytes // 4:
            return found  # one huge term would flush everything else
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (found, size)
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _key, (_old, old_size) = self._entries.popitem(last=False)
                    self._bytes -= old_size
        return found

    def forget_except(self, readers) -> None:
        """Drop the entries of segments no longer in the index."""
        keep = {segment_id(r) for r in readers}
        with self._lock:
            for key in [k for k in self._entries if k[0] not in keep]:
                self._bytes -= self._entries.pop(key)[1]


def _raw_matcher(reader, fieldname: str, btext: bytes):
    """The segment's own postings of a term (no deletion filter), or None."""
    if (fieldname, btext) not in reader:
        return None
    try:
        return reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    except (TermNotFound, KeyError):  # a field without postings
        return None


# Protocol 2 pickles bytes as calls to _codecs.encode: unpickling a block's
# values (one per posting) is most of the cost of reading it.
_VALUES_START = b"c_codecs\nencode\n"
_TUPLE2_STOP = b"\x86."


def _blocks(matcher: W3LeafMatcher, with_values: bool):
    matcher.reset()
    while True:
        raw = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        if matcher._compression:
            raw = zlib.decompress(raw)
        if with_values:
            ids, weights, values = pickle.loads(raw)
        else:
            ids, weights = _ids_and_weights(raw, matcher._blocklength)
            values = ()
        ids = np.array(ids, dtype=np.int64)
        if not matcher._byteids:
            ids = np.cumsum(ids)  # stored as deltas
        n = len(ids)
        if weights is None:
            weights = np.ones(n)
        elif isinstance(weights, float):
            weights = np.full(n, weights)
        else:
            weights = np.array(weights, dtype=np.float64)
        yield ids, weights, values or ()
        if matcher._lastblock:
            return
        matcher._next_block()


def _ids_and_weights(raw: bytes, count: int):
    """The ids and weights of a pickled (ids, weights, values) block, without
    unpickling the values: the pickle is cut where they start (no opcode of
    an int, float or tuple can spell _VALUES_START) and closed as a pair."""
    at = raw.find(_VALUES_START)
    if at > 0:
        cut = at - 1 if raw[at - 1] == ord("(") else at  # the values tuple's MARK
        try:
            ids, weights = pickle.loads(raw[:cut] + _TUPLE2_STOP)
        except Exception:  # not the expected shape: read it whole
            pass
        else:
            if len(ids) == count:
                return ids, weights
    ids, weights, _values = pickle.loads(raw)
    return ids, weights


class FieldLengths:
    """Each segment's per-document field lengths, read once as an array."""

    def __init__(self):
        self._arrays: dict[tuple, np.ndarray] = {}

    def of(self, reader, fieldname: str) -> np.ndarray:
        key = (segment_id(reader), fieldname)
        array = self._arrays.get(key)
        if array is None:
            array = self._read(reader, fieldname)
            if key[0] is not None:
                self._arrays[key] = array
        return array

    def forget_except(self, readers) -> None:
        keep = {segment_id(r) for r in readers}
        for key in [k for k in self._arrays if k[0] not in keep]:
            del self._arrays[key]

    @staticmethod
    def _read(reader, fieldname: str) -> np.ndarray:
        # The lengths column holds one byte per document (Whoosh's
        # length_to_byte), documents past its end having length 0.
        doccount = reader.doc_count_all()
        lengths = np.zeros(doccount, dtype=np.uint8)
        perdoc = getattr(reader, "_perdoc", None)
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc else None
        if column is not None:
            count = min(column._count, doccount)
            raw = column._dbfile.get(column._basepos, count)
            lengths[:count] = np.frombuffer(raw, dtype=np.uint8)
        return _LENGTH_OF_BYTE[lengths]


# -- positions ----------------------------------------------------------------

# A value is pack_uint(n) + pickle.dumps(deltas, 2): b"\x80\x02]q\x00", then
# the ints (BININT1 "K" + 1 byte, BININT2 "M" + 2, BININT "J" + 4) inside
# MARK "(" ... APPENDS "e" (or one int then APPEND "a"), then STOP ".".
_HEADER = b"\x80\x02]q\x00"
_BODY = 4 + len(_HEADER)
_TOKEN_LENGTH = np.zeros(256, dtype=np.int64)
for _opcode, _length in ((b"K", 2), (b"M", 3), (b"J", 5), (b"(", 1), (b"e", 1), (b"a", 1)):
    _TOKEN_LENGTH[_opcode[0]] = _length


def positions(values, owners: np.ndarray, decode_one) -> tuple[np.ndarray, np.ndarray]:
    """Decode the positions of many postings at once.

    ``values[i]`` is the encoded positions of a posting of document
    ``owners[i]``. Returns (document, position) of every position, grouped by
    document. ``decode_one`` (the format's decoder) takes over for values
    not in the expected shape.
    """
    if not values:
        return EMPTY_IDS, EMPTY_IDS
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    buf = np.frombuffer(b"".join(values), dtype=np.uint8)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    decoded = _walk(buf, starts, lengths)
    if decoded is None:
        return _positions_slowly(values, owners, decode_one)
    which, deltas = decoded
    counts = np.bincount(which, minlength=len(values))
    expected = np.array(struct.unpack(f">{len(values)}I", bytes(
        buf[(starts[:, None] + np.arange(4)).ravel()])), dtype=np.int64)
    if not np.array_equal(counts, expected):
        return _positions_slowly(values, owners, decode_one)
    # Cumulative sums of the deltas, restarted at each posting.
    totals = np.cumsum(deltas)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    base = np.repeat(totals[first[has]] - deltas[first[has]], counts[has])
    return np.repeat(owners, counts), totals - base


def _walk(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray):
    """(posting index, delta) of every int in the pickled lists, in order,
    or None when a value is not a list of small ints as expected."""
    n = len(starts)
    header = np.frombuffer(_HEADER, dtype=np.uint8)
    if (lengths < _BODY + 2).any():
        return None
    heads = buf[(starts[:, None] + 4 + np.arange(len(_HEADER))).ravel()].reshape(n, len(_HEADER))
    if not (heads == header).all() or not (buf[starts + lengths - 1] == ord(".")).all():
        return None
    at = starts + _BODY
    owner = np.arange(n)
    end = starts + lengths - 1
    found_at, found_owner = [], []
    while len(at):
        opcode = buf[at]
        size = _TOKEN_LENGTH[opcode]
        if not size.all():
            return None
        is_int = size >= 2
        found_at.append(at[is_int])
        found_owner.append(owner[is_int])
        at = at + size
        alive = at < end[owner]
        at, owner = at[alive], owner[alive]
    at = np.concatenate(found_at)
    owner = np.concatenate(found_owner)
    # The values lie one after another in buf: buffer order is posting
    # order, then list order.
    order = np.argsort(at, kind="stable")
    at, owner = at[order], owner[order]
    opcode = buf[at]
    b1 = buf[np.minimum(at + 1, len(buf) - 1)].astype(np.int64)
    b2 = buf[np.minimum(at + 2, len(buf) - 1)].astype(np.int64)
    b3 = buf[np.minimum(at + 3, len(buf) - 1)].astype(np.int64)
    b4 = buf[np.minimum(at + 4, len(buf) - 1)].astype(np.int64)
    value = np.where(opcode == ord("K"), b1,
                     np.where(opcode == ord("M"), b1 | (b2 << 8), b1 | (b2 << 8) | (b3 << 16) | (b4 << 24)))
    return owner, value


def _positions_slowly(values, owners: np.ndarray, decode_one) -> tuple[np.ndarray, np.ndarray]:
    docs, found = [], []
    for owner, value in zip(owners.tolist(), values):
        decoded = decode_one(value)
        docs.extend([owner] * len(decoded))
        found.extend(decoded)
    return np.array(docs, dtype=np.int64), np.array(found, dtype=np.int64)
