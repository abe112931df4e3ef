"""Everything finweek reads of Whoosh beyond its public API, in one place.

Search ranks a posting block at a time with numpy (ranking.py) instead of
Whoosh's one-posting-per-call matchers, which took seconds for common words
at 50,000 documents. For that it reads Whoosh's files and objects the way
Whoosh itself does, below its public API. This module is the only one that
does; the rest of the search package calls the functions here and Whoosh's
public API. ``SearchIndex.open`` checks these functions against Whoosh's
public matchers on a sample of the index (selfcheck.py) and searches through
the public API alone when they disagree or the release is not the one below.

The contract
============

Checked against **whoosh-reloaded 2.7.5** (import name ``whoosh``), the
release pinned in pyproject.toml. The distribution is unmaintained: no new
release will change these silently; another release turns the fast path off
(``release_problem``).

Private names used (all in that release):

- ``SegmentReader._terms`` (``W3TermsReader``): its
  ``matcher(fieldname, btext, format)`` gives a segment's own postings of a
  term, deleted documents included: a ``W3LeafMatcher`` over posting blocks
  in the ``.pst`` file, or a ``ListMatcher`` for a term whose single posting
  is inlined in the terms file (``inlinelimit=1``).
- ``W3LeafMatcher`` block state, after ``reset()`` and each
  ``_next_block()``: ``_postfile`` (a ``StructFile``, read with ``get``),
  the block's data at ``[_dataoffset, _nextoffset)``, ``_compression``
  (zlib level; falsy: not compressed), ``_blocklength`` (postings in the
  block), ``_byteids`` (ids stored whole, not as deltas), ``_lastblock``.
- ``SegmentReader._perdoc`` (``W3PerDocReader``):
  ``_cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)`` gives the field
  lengths column (``None`` when the segment has none), a ``NumericColumn``
  reader ("B") with ``_dbfile``, ``_basepos`` and ``_count``.
- ``whoosh.codec.whoosh3._lenfield`` (the column's name, ``"_%s_len"``).
- ``FileIndex._segments()``: the segments of the committed table of
  contents (the file names of the live index, for checksums.py).
- ``MultiTerm._btexts(reader)``: the words a prefix, wildcard or other
  expanding query stands for. Whoosh's matcher, ``simplify`` and
  ``expanded_terms`` all call it; ``ChosenPrefix`` overrides it.
- ``SegmentWriter._finish()`` (removes the writer's temporary folder and
  releases its lock) and ``TOC._segment_pattern(indexname)`` (the names of
  segment files), for ``abandon``: a commit that failed midway (a full disk)
  leaves its segment half-written and its lock held.

File formats read (the ``W3Codec`` of that release):

- A posting block's data is ``pickle.dumps((ids, weights, values), 2)``,
  zlib-compressed when ``_compression``: ``ids`` a tuple of document-number
  deltas (whole numbers when ``_byteids``); ``weights`` a tuple of term
  frequencies, ``None`` (all 1) or one float (all equal); ``values`` one
  per posting (Whoosh's positions format) or ``None``.
- A posting's value, for a field with positions, is ``pack_uint(n)`` (4
  bytes, big-endian) followed by ``pickle.dumps(deltas, 2)``: the header
  ``b"\\x80\\x02]q\\x00"``, the ints as BININT1 ``K``/BININT2 ``M``/BININT ``J``
  inside MARK ``(`` ... APPENDS ``e`` (one int: then APPEND ``a``), STOP ``.``.
  A value of any other shape is decoded by the format's own decoder.
- The lengths column holds one byte per document (``length_to_byte``),
  documents past its end having length 0; ``byte_to_length`` decodes it.

Public names used here only because this module owns the readers:
``SegmentReader.schema``, ``__contains__``, ``doc_count_all``,
``TermNotFound``, ``W3LeafMatcher`` / ``ListMatcher`` public methods
(``is_active``, ``id``, ``weight``, ``value``, ``next``, ``reset``).
"""

from __future__ import annotations

import logging
import pickle
import re
import struct
import traceback
import zlib
from functools import cache
from importlib import metadata
from typing import NamedTuple

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.index import TOC
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

log = logging.getLogger(__name__)

DISTRIBUTION = "whoosh-reloaded"
CHECKED_RELEASE = "2.7.5"

EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_FLOATS = np.zeros(0, dtype=np.float64)
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


@cache
def installed_release() -> str | None:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def release_problem() -> str | None:
    """Why this module's contract may not hold for the Whoosh installed
    (None when it is the release checked)."""
    release = installed_release()
    if release != CHECKED_RELEASE:
        return (
            f"{DISTRIBUTION} {release or '(not installed as a distribution)'} is installed; "
            f"the fast search path was checked against {CHECKED_RELEASE} only"
        )
    return None


# -- postings -----------------------------------------------------------------


class Postings(NamedTuple):
    """A term's postings in one segment, deleted documents included."""

    ids: np.ndarray  # sorted segment-local document numbers
    weights: np.ndarray  # term frequency in each
    values: tuple | None = None  # per posting: encoded positions (bytes), when asked for


def read_postings(reader, fieldname: str, btext: bytes, with_values: bool = False) -> Postings:
    """All postings of a term in a segment, read a block at a time."""
    matcher = _raw_matcher(reader, fieldname, btext)
    if matcher is None:
        return Postings(EMPTY_IDS, EMPTY_FLOATS, () if with_values else None)
    if not isinstance(matcher, W3LeafMatcher):  # inlined postings of a rare term
        ids, weights, inlined = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if with_values:
                inlined.append(matcher.value())
            matcher.next()
        return Postings(
            np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64), tuple(inlined) if with_values else None
        )
    blocks = list(_blocks(matcher, with_values))
    values = None
    if with_values:
        values = tuple(v for _ids, _weights, block_values in blocks for v in block_values)
    return Postings(np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]), values)


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


# -- field lengths -------------------------------------------------------------


def field_lengths(reader, fieldname: str) -> np.ndarray:
    """The length of ``fieldname`` in each document of a segment (deleted
    ones included), as Whoosh's scorer sees it, read as one array."""
    doccount = reader.doc_count_all()
    lengths = np.zeros(doccount, dtype=np.uint8)
    perdoc = getattr(reader, "_perdoc", None)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc else None
    if column is not None:
        count = min(column._count, doccount)
        raw = column._dbfile.get(column._basepos, count)
        lengths[:count] = np.frombuffer(raw, dtype=np.uint8)
    return _LENGTH_OF_BYTE[lengths]


# -- segments -----------------------------------------------------------------


def segment_ids(ix) -> list[str]:
    """The ids of the segments in the index's committed table of contents."""
    # TOC.read is public, but unpickles the schema too
    segments = ix._segments() if release_problem() is None else TOC.read(ix.storage, ix.indexname).segments
    return [s.segment_id() for s in segments]


def abandon(writer) -> int:
    """After ``writer.commit()`` failed midway (a full disk): close the
    writer's files, delete every segment file the committed table of
    contents does not name (its half-written segment) and any table of
    contents it half wrote, then release its lock. Returns the bytes the
    deleted files held.

    Files are deleted only while the writer still holds the index's write
    lock: no other writer can have files in progress then (Whoosh itself
    deletes unnamed segment files at every commit, under the lock). A commit
    whose table of contents reached its place took effect: its segment is
    named there and stays."""
    for task in getattr(writer, "tasks", ()):  # a multiprocess writer's sub-writers, as its cancel() does
        try:
            task.cancel()
        except Exception:
            log.debug("cancelling an abandoned writer's task failed", exc_info=True)
    for part in (getattr(writer, "perdocwriter", None), getattr(writer, "fieldwriter", None)):
        if part is not None and not getattr(part, "is_closed", True):
            try:  # closing flushes, which a full disk refuses; the file is closed all the same
                part.close()
            except Exception:
                log.debug("closing an abandoned writer's file failed", exc_info=True)
    try:
        writer.pool.cleanup()
    except Exception:
        log.debug("cleaning an abandoned writer's pool failed", exc_info=True)
    freed = 0
    if not writer.is_closed and writer.writelock is not None:
        storage, name = writer.storage, writer.indexname
        try:
            live = {s.segment_id() for s in TOC.read(storage, name).segments}
        except Exception:  # no readable table of contents: leave the files to the next open
            live = None
        if live is not None:
            segment_file = TOC._segment_pattern(name)
            toc_temp = re.compile(rf"^_{re.escape(name)}_[0-9]+\.toc\..+$")
            for filename in list(storage.list()):
                found = segment_file.match(filename)
                if (found and found.group(1) not in live) or toc_temp.match(filename):
                    try:
                        size = storage.file_length(filename)
                        storage.delete_file(filename)
                    except OSError:
                        continue
                    freed += size
    try:
        writer._finish()
    except Exception:
        log.debug("finishing an abandoned writer failed", exc_info=True)
        if writer.writelock is not None:
            writer.writelock.release()
    return freed


# -- expanding queries ----------------------------------------------------------


def expands(q) -> bool:
    """A prefix, wildcard or other query standing for the union of the
    words it expands to (not a fuzzy term, unless it says it is ranked as
    one: query.BoundedFuzzy)."""
    if isinstance(q, wq.FuzzyTerm) and not getattr(q, "ranked_as_expansion", False):
        return False
    return isinstance(q, wq.MultiTerm) and type(q)._btexts is not wq.MultiTerm._btexts


def expansions(q, reader) -> list[bytes]:
    """The words an expanding query stands for in a segment."""
    return list(q._btexts(reader))


class _ChoosesItsWords:
    """An expanding query (a MultiTerm) that stands for the words its public
    ``choose`` picks, everywhere Whoosh expands it (matching, simplifying,
    highlighting) and in ranking.py. Whoosh asks the private ``_btexts``;
    by default ``choose`` answers what Whoosh's own expansion would."""

    def choose(self, reader) -> list[bytes]:
        return list(super()._btexts(reader))  # type: ignore[misc]  # the MultiTerm this is mixed into

    def _btexts(self, ixreader):
        # Chosen once per reader: ranking, simplifying and snippets all ask
        # (a query is parsed for one search; the reader is held, so its id
        # is not reused meanwhile).
        chosen = self.__dict__.setdefault("_chosen_by_reader", {})
        held = chosen.get(id(ixreader))
        if held is None or held[0] is not ixreader:
            held = chosen[id(ixreader)] = (ixreader, self.choose(ixreader))
        return held[1]


class ChosenPrefix(_ChoosesItsWords, wq.Prefix):
    """A prefix query whose words ``choose`` picks."""


class ChosenWildcard(_ChoosesItsWords, wq.Wildcard):
    """A wildcard query whose words ``choose`` picks."""


class ChosenFuzzy(_ChoosesItsWords, wq.FuzzyTerm):
    """A fuzzy term whose words ``choose`` picks."""


class ChosenTermRange(_ChoosesItsWords, wq.TermRange):
    """A range of words whose words ``choose`` picks."""


# -- positions ----------------------------------------------------------------

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
    expected = np.array(
        struct.unpack(f">{len(values)}I", bytes(buf[(starts[:, None] + np.arange(4)).ravel()])), dtype=np.int64
    )
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
    value = np.where(
        opcode == ord("K"), b1, np.where(opcode == ord("M"), b1 | (b2 << 8), b1 | (b2 << 8) | (b3 << 16) | (b4 << 24))
    )
    return owner, value


def _positions_slowly(values, owners: np.ndarray, decode_one) -> tuple[np.ndarray, np.ndarray]:
    docs, found = [], []
    for owner, value in zip(owners.tolist(), values, strict=False):
        decoded = decode_one(value)
        docs.extend([owner] * len(decoded))
        found.extend(decoded)
    return np.array(docs, dtype=np.int64), np.array(found, dtype=np.int64)


# -- telling damage from a bug --------------------------------------------------

# Whoosh's modules that read index files, and ours that does.
_FILE_READERS = (
    "whoosh.codec.",
    "whoosh.filedb.",
    "whoosh.columns",
    "whoosh.formats",
    "whoosh.util.numlists",
    "whoosh.util.varints",
    "whoosh.system",
    __name__,
)
# Raised by decoding bytes that are not what was written, wherever.
_DECODING_ERRORS = (zlib.error, pickle.UnpicklingError, struct.error, EOFError, OSError)


def raised_reading_files(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while reading or decoding index files (a
    damaged file), rather than by a query or our own code (a bug): by its
    type, or by where it was raised, the innermost frame of Whoosh or ours
    (pickle and zlib are C code, and garbage unpickled may fail inside the
    import machinery)."""
    if isinstance(exc, _DECODING_ERRORS):
        return True
    innermost = None
    for frame, _line in traceback.walk_tb(exc.__traceback__):
        module = frame.f_globals.get("__name__", "")
        if module.startswith(("whoosh.", "finweek_desktop.")):
            innermost = module
    return innermost is not None and innermost.startswith(_FILE_READERS)
