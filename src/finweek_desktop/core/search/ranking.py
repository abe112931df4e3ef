"""Matching and BM25 ranking a posting block at a time, with numpy.

Whoosh's matchers score one posting per Python call: at 50,000 documents a
word in every document costs ~0.2 s, two such words ANDed over 1 s, a
phrase or a prefix more. Here a query becomes, per segment, two numpy
arrays: the live documents it matches (sorted) and their scores. A term's
postings are read a block of ~128 at a time (the data Whoosh's own matcher
decodes) and scored in one vectorised BM25F step with Whoosh's formula and
statistics: a term scores exactly as Whoosh scores it.

Scores combine the way Whoosh means to combine them: Or, And and AndMaybe
add the scores of the parts that match, DisjunctionMax takes the best (a
field and its Portuguese shadow), AndNot and Not only remove documents,
boosts multiply. Where we differ, on purpose:

- Whoosh's DisjunctionMax matcher takes the max of its children's current
  scores even when they stand on different documents; here each document
  gets the best of its own;

- a prefix, wildcard or bounded fuzzy term (query.BoundedFuzzy) adds the
  BM25 of each word it expands to (Whoosh adds raw term frequencies, which
  favours long documents);
- an Or with a ``minmatch`` (a pasted passage, query.Passage) keeps the
  documents matching that many of its parts (Whoosh ignores minmatch);
- a phrase matches where its words stand at consecutive positions (with a
  slop, each word within that many positions after the one before, as
  Whoosh's SpanNear2 says), and scores as the AND of its words;
- a range of numbers (a date or a year) scores its constant boost, as
  Whoosh's does; its documents are the union of the few trie terms Whoosh
  compiles it to (``NumericRange.simplify``), read a block at a time.

Anything else (ranges of words on encoded fields...) is left to Whoosh:
``supports`` says whether a query can be ranked here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT

from . import postings, whoosh_internals
from .postings import EMPTY_FLOATS as _EMPTY_SCORES
from .postings import EMPTY_IDS as _EMPTY_DOCS
from .postings import FieldLengths
from .query import QueryTooBroad

# Whoosh's BM25F defaults (the searcher's weighting).
_B = 0.75
_K1 = 1.2
# Document number and position in one int64 key: doc * 2**32 + position.
_POSITION_BITS = 32
# Positions a query's phrases may decode (a segment its share by documents):
# about 0.2 s. Past it a phrase is checked in its words' best-scoring
# documents only, as many as fit, and the search says so (``phrases_cut``).
PHRASE_POSITIONS = 500_000
# A range of numbers compiles to a few dozen trie terms; more means a range
# this module does not know how to bound: refused as too broad.
RANGE_TERMS = 4096


@dataclass(frozen=True)
class Matches:
    """Documents of one segment (sorted, segment-local) and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)

    @classmethod
    def empty(cls) -> Matches:
        return cls(_EMPTY_DOCS, _EMPTY_SCORES)

    def boosted(self, boost: float) -> Matches:
        return self if boost == 1 else Matches(self.docs, self.scores * boost)


_BRANCHES = (wq.Or, wq.DisjunctionMax, wq.And, wq.AndNot, wq.AndMaybe, wq.Not)


def supports(q, schema) -> bool:
    """Whether every part of ``q`` can be matched and ranked here."""
    if q is wq.NullQuery:
        return True
    if isinstance(q, wq.Every):
        return q.fieldname in (None, "", "*")
    if isinstance(q, wq.NumericRange):
        return q.fieldname in schema and isinstance(schema[q.fieldname], NUMERIC)
    if isinstance(q, (wq.Term, wq.Phrase)) or whoosh_internals.expands(q):
        if q.fieldname not in schema:
            return True  # matches nothing
        if isinstance(q, wq.Phrase):
            return q.slop >= 1 and schema[q.fieldname].format.supports("positions")
        if isinstance(q, wq.Term) and isinstance(q.text, bytes) and isinstance(schema[q.fieldname], NUMERIC):
            return True  # a number already encoded (year:2020)
        # Numeric and other encoded fields: Whoosh knows their terms.
        return isinstance(schema[q.fieldname], (TEXT, KEYWORD, ID))
    if isinstance(q, _BRANCHES):
        return all(supports(child, schema) for child in q.children())
    return False


class SegmentRanker:
    """Ranks queries in one segment of a searcher.

    ``lengths`` is shared between searches: it caches each segment's field
    lengths by segment id (segments never change once written).
    ``term_cache`` (per search) keeps each term read, unboosted, so snippets
    can tell which fields a hit matched; ``postings_cache`` (shared) keeps
    the postings read, across searches; ``statistics`` (per search, shared
    by its segments) each term's idf and field's average length.
    """

    def __init__(
        self,
        searcher,
        reader,
        lengths: FieldLengths,
        term_cache: dict,
        postings_cache: postings.PostingsCache | None = None,
        statistics: dict | None = None,
    ):
        self.searcher = searcher  # the top-level searcher: global statistics
        self.reader = reader
        self._cache = postings_cache
        self._read = postings_cache.read if postings_cache is not None else postings.read
        self.schema = searcher.schema
        self._lengths = lengths
        self._terms = term_cache
        self._statistics_cache = {} if statistics is None else statistics
        self._positions_left = PHRASE_POSITIONS * reader.doc_count_all() / max(searcher.doc_count_all(), 1)
        self.phrases_cut = False  # a phrase was checked in part of its candidates only
        self._deleted = None
        if reader.has_deletions():
            self._deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
            self._deleted.sort()

    # -- the query tree -------------------------------------------------------

    def matches(self, q) -> Matches:
        if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
            return Matches.empty()
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text).boosted(q.boost)
        if isinstance(q, wq.Phrase):
            return self._phrase(q).boosted(q.boost)
        if isinstance(q, wq.NumericRange):
            return self._numeric_range(q)
        if whoosh_internals.expands(q):
            parts = [self.term(q.fieldname, btext) for btext in whoosh_internals.expansions(q, self.reader)]
            return _union(parts, max_score=False).boosted(q.boost)
        if isinstance(q, wq.Every):
            docs = self._live(np.arange(self.reader.doc_count_all(), dtype=np.int64))
            return Matches(docs, np.full(len(docs), float(q.boost)))
        if isinstance(q, (wq.Or, wq.DisjunctionMax)):
            parts = [self.matches(child) for child in q.children()]
            union = _union(parts, max_score=isinstance(q, wq.DisjunctionMax), tiebreak=getattr(q, "tiebreak", 0.0))
            minmatch = getattr(q, "minmatch", 0) if isinstance(q, wq.Or) else 0
            if minmatch > 1 and len(union):
                union = _at_least(union, parts, minmatch)
            return union.boosted(q.boost)
        if isinstance(q, wq.And):
            return self._and(q).boosted(q.boost)
        if isinstance(q, wq.AndNot):
            return _without(self.matches(q.a), self.matches(q.b).docs).boosted(q.boost)
        if isinstance(q, wq.AndMaybe):
            a, b = self.matches(q.a), self.matches(q.b)
            return _add_where_present(a, b).boosted(q.boost)
        if isinstance(q, wq.Not):
            everything = self._live(np.arange(self.reader.doc_count_all(), dtype=np.int64))
            rest = _without(Matches(everything, np.ones(len(everything))), self.matches(q.query).docs)
            return rest.boosted(q.boost)
        raise TypeError(f"cannot rank {type(q).__name__} here (see supports())")

    def _and(self, q) -> Matches:
        positive = [c for c in q.children() if not isinstance(c, wq.Not)]
        negative = [c.query for c in q.children() if isinstance(c, wq.Not)]
        if positive:
            parts = sorted((self.matches(c) for c in positive), key=len)
            out = parts[0]
            for other in parts[1:]:
                if not len(out):
                    break
                out = _intersect(out, other)
        else:
            everything = self._live(np.arange(self.reader.doc_count_all(), dtype=np.int64))
            out = Matches(everything, np.ones(len(everything)))
        for child in negative:
            if not len(out):
                break
            out = _without(out, self.matches(child).docs)
        return out

    # -- terms ----------------------------------------------------------------

    def term(self, fieldname: str, text) -> Matches:
        """A term's live documents and their BM25F scores (unboosted)."""
        field = self.schema[fieldname] if fieldname in self.schema else None  # noqa: SIM401  # a Schema has no get()
        if field is None:
            return Matches.empty()
        btext = text if isinstance(text, bytes) else field.to_bytes(text)
        cached = self._terms.get((fieldname, btext))
        if cached is not None:
            return cached
        read = self._read(self.reader, fieldname, btext)
        return self._scored(fieldname, btext, read.ids, read.weights)

    def _scored(self, fieldname: str, btext: bytes, docs: np.ndarray, weights: np.ndarray) -> Matches:
        if self._deleted is not None and len(docs):
            keep = ~np.isin(docs, self._deleted, assume_unique=True)
            docs, weights = docs[keep], weights[keep]
        if not len(docs):
            result = Matches.empty()
        elif self.schema[fieldname].scorable:
            idf, avgfl = self._statistics(fieldname, btext)
            lengths = self._lengths.of(self.reader, fieldname)[docs]
            scores = idf * (weights * (_K1 + 1)) / (weights + _K1 * ((1 - _B) + _B * lengths / avgfl))
            result = Matches(docs, scores)
        else:
            result = Matches(docs, weights)  # Whoosh's WeightScorer
        self._terms[(fieldname, btext)] = result
        return result

    def _statistics(self, fieldname: str, btext: bytes) -> tuple[float, float]:
        """A term's idf and its field's average length, over the whole index
        (each asks every segment): computed once per search, shared by the
        segments' rankers."""
        key = (fieldname, btext)
        known = self._statistics_cache.get(key)
        if known is None:
            searcher = self.searcher
            n = searcher.doc_frequency(fieldname, btext)
            known = (math.log(searcher.doc_count_all() / (n + 1)) + 1, searcher.avg_field_length(fieldname) or 1)
            self._statistics_cache[key] = known
        return known

    def _numeric_range(self, q) -> Matches:
        """The documents of a range of numbers, each scored the range's boost
        (Whoosh's constant score). Whoosh compiles the range into terms of
        its numeric trie, a few per precision; their postings are unioned."""
        btexts: list[bytes] = []
        stack = [q.simplify(self.reader)]
        while stack:
            node = stack.pop()
            if node is None or node is wq.NullQuery or isinstance(node, wq.NullQuery.__class__):
                continue
            if isinstance(node, wq.Term):
                btexts.append(node.text)
            elif not node.is_leaf():
                stack.extend(node.children())
            elif whoosh_internals.expands(node):  # a range of trie terms at one precision
                btexts.extend(whoosh_internals.expansions(node, self.reader))
            else:
                raise TypeError(f"cannot rank {type(node).__name__} in a numeric range here")
            if len(btexts) > RANGE_TERMS:
                raise QueryTooBroad("this query is too broad: the range stands for too many numbers; narrow it")
        if not btexts:
            return Matches.empty()
        ids = np.unique(np.concatenate([self._read(self.reader, q.fieldname, b).ids for b in btexts]))
        docs = self._live(ids)
        return Matches(docs, np.full(len(docs), float(q.boost)))

    # -- phrases --------------------------------------------------------------

    def _phrase(self, q) -> Matches:
        """Documents holding the words at consecutive positions, scored as
        the AND of the words. Each word's postings are read once, with
        their positions; the positions of all candidate documents are
        decoded and compared as arrays."""
        field = self.schema[q.fieldname]
        btexts = [w if isinstance(w, bytes) else field.to_bytes(w) for w in q.words if w]
        if not btexts:
            return Matches.empty()
        if len(btexts) == 1:
            return self.term(q.fieldname, btexts[0])
        reads = [self._read(self.reader, q.fieldname, b, with_values=True) for b in btexts]
        parts = [self._scored(q.fieldname, b, r.ids, r.weights) for b, r in zip(btexts, reads, strict=True)]
        out = parts[0]
        for other in sorted(parts[1:], key=len):
            if not len(out):
                return out
            out = _intersect(out, other)
        if not len(out):
            return out
        slop = max(int(q.slop), 1)
        cache = self._cache
        known = cache.phrase_docs(self.reader, q.fieldname, tuple(btexts), slop) if cache is not None else None
        if known is not None:  # checked in every candidate by an earlier search
            keep = np.isin(out.docs, known, assume_unique=True)
            return Matches(out.docs[keep], out.scores[keep])
        # What checking each candidate costs: the positions of its words.
        ats = [np.searchsorted(read.ids, out.docs) for read in reads]  # every candidate holds every word
        costs = np.zeros(len(out), dtype=np.float64)
        for read, at in zip(reads, ats, strict=True):
            costs += read.weights[at]
        complete = costs.sum() <= self._positions_left
        if not complete:
            order = np.argsort(-out.scores, kind="stable")
            within = np.cumsum(costs[order]) <= self._positions_left
            within[0] = True
            keep = np.sort(order[within])
            out, costs, ats = Matches(out.docs[keep], out.scores[keep]), costs[keep], [at[keep] for at in ats]
            self.phrases_cut = True
        self._positions_left = max(self._positions_left - float(costs.sum()), 0.0)
        # slop 1: doc << 32 | position of the first word, for each word;
        # else where the chain of words so far ends (the last word's position)
        starts = None
        for offset, (read, at) in enumerate(zip(reads, ats, strict=True)):
            assert read.values is not None  # read with_values=True
            docs, where = whoosh_internals.positions(
                [read.values[i] for i in at.tolist()], out.docs, field.format.decode_positions
            )
            keys = (docs << _POSITION_BITS) + where  # sorted: docs, then positions
            if slop == 1:
                keys -= offset
                starts = keys if starts is None else _sorted_common(starts, keys)
            else:
                starts = keys if starts is None else _following(starts, keys, docs << _POSITION_BITS, slop)
            if not len(starts):
                found = _EMPTY_DOCS
                break
        else:
            assert starts is not None  # two words or more were read
            found = np.unique(starts >> _POSITION_BITS)
        if complete and cache is not None:
            cache.keep_phrase_docs(self.reader, q.fieldname, tuple(btexts), slop, found)
        keep = np.isin(out.docs, found, assume_unique=True)
        return Matches(out.docs[keep], out.scores[keep])

    def _live(self, docs: np.ndarray) -> np.ndarray:
        if self._deleted is None:
            return docs
        return docs[~np.isin(docs, self._deleted, assume_unique=True)]


def _sorted_common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values of sorted ``a`` also in sorted ``b`` (no re-sorting, unlike
    np.intersect1d: a phrase's keys run to hundreds of thousands)."""
    if not len(a) or not len(b):
        return a[:0]
    at = np.minimum(np.searchsorted(b, a), len(b) - 1)
    return a[b[at] == a]


def _following(ends: np.ndarray, keys: np.ndarray, doc_starts: np.ndarray, slop: int) -> np.ndarray:
    """The ``keys`` (doc << 32 | position, sorted) that stand 1 to ``slop``
    positions after one of ``ends`` in the same document: where a chain of
    words near each other goes on (Whoosh's SpanNear2, ordered, mindist 1)."""
    lo = np.searchsorted(ends, np.maximum(keys - slop, doc_starts), "left")
    hi = np.searchsorted(ends, keys, "left")
    return keys[hi > lo]


def _union(parts: list[Matches], max_score: bool, tiebreak: float = 0.0) -> Matches:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Matches.empty()
    if len(parts) == 1:
        return parts[0]
    docs = np.concatenate([p.docs for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    unique, inverse = np.unique(docs, return_inverse=True)
    if not max_score:
        return Matches(unique, np.bincount(inverse, weights=scores, minlength=len(unique)))
    best = np.full(len(unique), -np.inf)
    np.maximum.at(best, inverse, scores)
    if tiebreak:
        total = np.bincount(inverse, weights=scores, minlength=len(unique))
        best = best + tiebreak * (total - best)
    return Matches(unique, best)


def _at_least(union: Matches, parts: list[Matches], minmatch: int) -> Matches:
    """The documents of ``union`` that ``minmatch`` of ``parts`` match (an Or's minmatch)."""
    held = np.zeros(len(union), dtype=np.int64)
    for part in parts:
        if len(part):
            held[np.searchsorted(union.docs, part.docs)] += 1
    keep = held >= minmatch
    return Matches(union.docs[keep], union.scores[keep])


def _intersect(a: Matches, b: Matches) -> Matches:
    docs, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    return Matches(docs, a.scores[ia] + b.scores[ib])


def _without(a: Matches, docs: np.ndarray) -> Matches:
    if not len(docs) or not len(a):
        return a
    keep = ~np.isin(a.docs, docs, assume_unique=True)
    return Matches(a.docs[keep], a.scores[keep])


def _add_where_present(a: Matches, b: Matches) -> Matches:
    if not len(a) or not len(b):
        return a
    _docs, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    scores = a.scores.copy()
    scores[ia] += b.scores[ib]
    return Matches(a.docs, scores)


def top(segments: list[tuple[int, Matches]], limit: int | None) -> list[tuple[int, float]]:
    """(global docnum, score) of the best ``limit`` matches: highest score
    first, then lowest document number, as Whoosh orders them."""
    parts = [(offset + m.docs, m.scores) for offset, m in segments if len(m)]
    if not parts:
        return []
    docnums = np.concatenate([d for d, _s in parts])
    scores = np.concatenate([s for _d, s in parts])
    if limit is not None and limit < len(scores):
        # Only the candidates at or above the limit-th best score need sorting.
        threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        keep = scores >= threshold
        docnums, scores = docnums[keep], scores[keep]
    order = np.lexsort((docnums, -scores))[:limit]
    return list(zip(docnums[order].tolist(), scores[order].tolist(), strict=True))
