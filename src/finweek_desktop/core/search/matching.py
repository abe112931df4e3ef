"""Which documents a query matches, without scoring them.

Whoosh computes facet counts (``groupedby``) by collecting and scoring every
match, across every default field: at 50,000 documents that was 1-3 s for a
common word. The search instead asks Whoosh for the top hits only (so its
block-quality skipping applies) and counts the matches here:

- ``matching_docs`` turns a query into the set of matching document numbers
  of one segment. Terms are read straight from their posting blocks (a block
  of ids at a time, not one matcher step per posting), Or/And/Not become set
  union, intersection and difference; anything else (phrases, ranges, ...)
  falls back to Whoosh's own matcher, still without scoring.
- ``FacetSets`` holds, per segment, the documents of each kind and of each
  tag. Segments never change once written (deletions are applied to the
  matched sets), so an entry lives as long as its segment and a new searcher
  after a write only reads the new, small segment.
"""

from __future__ import annotations

import threading
from collections import Counter

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher


def leaf_readers(searcher):
    """(segment reader, docnum offset) of each segment of a searcher."""
    return [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]


def term_docs(reader, fieldname: str, text) -> set[int]:
    """Live document numbers (segment-local) holding a term."""
    try:
        if (fieldname, text) not in reader:
            return set()
        matcher = reader.postings(fieldname, text)
    except Exception:  # TermNotFound, a field without postings
        return set()
    base = matcher.child if isinstance(matcher, FilterMatcher) else matcher
    if isinstance(base, W3LeafMatcher):
        # Whole blocks at a time: the same data the matcher would decode,
        # without a Python call per posting.
        ids: set[int] = set()
        base.reset()
        while base.is_active():
            base._read_ids()
            ids.update(base._ids)
            base._next_block()
    else:
        ids = set(base.all_ids())
    deleted = reader.deleted_docs_set if reader.has_deletions() else None
    if deleted:
        ids.difference_update(deleted)
    return ids


def _all_docs(reader) -> set[int]:
    return set(reader.all_doc_ids())


def matching_docs(q, reader, leaf_searcher, cache: dict | None = None) -> set[int]:
    """Segment-local numbers of the live documents matching ``q``.

    ``cache`` (per search) keeps the set of each term read, keyed by
    (fieldname, text): snippets use it to skip fields a hit did not match.
    """
    if isinstance(q, wq.Term):
        key = (q.fieldname, q.text)
        if cache is not None and key in cache:
            return cache[key]
        docs = term_docs(reader, q.fieldname, q.text)
        if cache is not None:
            cache[key] = docs
        return docs
    if isinstance(q, (wq.Or, wq.DisjunctionMax)):
        out: set[int] = set()
        for child in q.children():
            out |= matching_docs(child, reader, leaf_searcher, cache)
        return out
    if isinstance(q, wq.And):
        positive = [c for c in q.children() if not isinstance(c, wq.Not)]
        negative = [c.query for c in q.children() if isinstance(c, wq.Not)]
        if not positive:
            out = _all_docs(reader)
        else:
            sets = [matching_docs(c, reader, leaf_searcher, cache) for c in positive]
            sets.sort(key=len)
            out = set(sets[0])
            for other in sets[1:]:
                if not out:
                    break
                out &= other
        for child in negative:
            if not out:
                break
            out -= matching_docs(child, reader, leaf_searcher, cache)
        return out
    if isinstance(q, wq.AndNot):
        out = set(matching_docs(q.a, reader, leaf_searcher, cache))
        if out:
            out -= matching_docs(q.b, reader, leaf_searcher, cache)
        return out
    if isinstance(q, wq.AndMaybe):
        return matching_docs(q.a, reader, leaf_searcher, cache)
    if isinstance(q, wq.Not):
        return _all_docs(reader) - matching_docs(q.query, reader, leaf_searcher, cache)
    if isinstance(q, wq.MultiTerm) and type(q)._btexts is not wq.MultiTerm._btexts:
        # Prefix, Wildcard, FuzzyTerm...: the union of the terms it expands to.
        out = set()
        for btext in q._btexts(reader):
            out |= term_docs(reader, q.fieldname, btext)
        return out
    if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
        return set()
    if isinstance(q, wq.Every):
        if q.fieldname in (None, "", "*"):
            return _all_docs(reader)
    # Phrases, ranges, ...: Whoosh's matcher, no scoring.
    return set(q.docs(leaf_searcher))


_SET_QUERIES = (wq.Term, wq.Or, wq.DisjunctionMax, wq.And, wq.AndNot, wq.AndMaybe, wq.Not, wq.Every)


def needs_matcher(q) -> bool:
    """Whether some part of ``q`` (a phrase, a range...) can only be matched
    by Whoosh's matcher: then one scored pass over every match costs less
    than a matching pass plus a ranking pass."""
    for node in [q, *q.all_children()] if hasattr(q, "all_children") else [q]:
        if node is wq.NullQuery:
            continue
        if isinstance(node, _SET_QUERIES):
            continue
        if isinstance(node, wq.MultiTerm) and type(node)._btexts is not wq.MultiTerm._btexts:
            continue
        return True
    return False


def split_by_segment(docnums, searcher) -> list[tuple[object, int, set[int]]]:
    """Global document numbers as (segment reader, offset, local docnums)."""
    out = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        end = offset + reader.doc_count_all()
        out.append((reader, offset, {d - offset for d in docnums if offset <= d < end}))
    return out


def matching_docnums(q, searcher, cache: dict | None = None) -> list[tuple[object, int, set[int]]]:
    """(segment reader, offset, local docnums) for each segment of ``searcher``.

    ``cache`` maps a segment reader's id to its per-term cache."""
    out = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        segment_cache = None
        if cache is not None:
            segment_cache = cache.setdefault(id(reader), {})
        out.append((reader, offset, matching_docs(q, reader, sub, segment_cache)))
    return out


def _segment_key(reader):
    segment = getattr(reader, "segment", None)
    segment = segment() if callable(segment) else segment
    if segment is None:
        return None
    return segment.segment_id()


class FacetSets:
    """Documents of each kind and each tag, per segment, read once.

    The sets hold deleted documents too: they are only ever intersected with
    matched documents, which never include deleted ones.
    """

    FIELDS = ("kind", "tag")

    def __init__(self):
        self._lock = threading.Lock()
        self._segments: dict[object, dict[str, dict[str, set[int]]]] = {}

    def for_segment(self, reader) -> dict[str, dict[str, set[int]]]:
        key = _segment_key(reader)
        with self._lock:
            sets = self._segments.get(key) if key is not None else None
        if sets is not None:
            return sets
        sets = {}
        for fieldname in self.FIELDS:
            per_value: dict[str, set[int]] = {}
            if fieldname in reader.indexed_field_names():
                for btext in reader.lexicon(fieldname):
                    value = btext.decode("utf-8")
                    per_value[value] = _all_postings(reader, fieldname, btext)
            sets[fieldname] = per_value
        if key is not None:
            with self._lock:
                self._segments[key] = sets
        return sets

    def forget_except(self, readers) -> None:
        """Drop the sets of segments no longer in the index."""
        keep = {_segment_key(r) for r in readers}
        with self._lock:
            for key in list(self._segments):
                if key not in keep:
                    del self._segments[key]

    def counts(self, matched: list[tuple[object, int, set[int]]]) -> dict[str, Counter]:
        totals = {fieldname: Counter() for fieldname in self.FIELDS}
        for reader, _offset, docs in matched:
            if not docs:
                continue
            sets = self.for_segment(reader)
            for fieldname, per_value in sets.items():
                counter = totals[fieldname]
                for value, members in per_value.items():
                    # Intersection iterates the smaller set.
                    n = len(docs & members) if len(members) < len(docs) else len(members & docs)
                    if n:
                        counter[value] += n
        return totals


def _all_postings(reader, fieldname, btext) -> set[int]:
    """Document numbers holding a term, deleted ones included."""
    matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    if isinstance(matcher, W3LeafMatcher):
        ids: set[int] = set()
        while matcher.is_active():
            matcher._read_ids()
            ids.update(matcher._ids)
            matcher._next_block()
        return ids
    return set(matcher.all_ids())
