"""Does the fast search path read what Whoosh's public API reads?

Run when the index opens (SearchIndex.open). On a handful of terms sampled
from the index's biggest segment, the fast path's postings, positions and
BM25F scores (ranking.py, through whoosh_internals.py) are compared with
Whoosh's public matcher for the same term (``Searcher.postings``: ids,
weights, values and scores, one posting per call), and its field lengths
with ``doc_field_length``. Terms with more than ``MAX_POSTINGS`` postings
are left out, so the public side stays cheap; one with more than one
posting block (128 postings) and one inlined in the terms file (a single
posting) are sought. About 5 ms at 10,000 documents.

A disagreement, another Whoosh release, or a failure to read the sample is
a reason (a sentence for the log and ``finweek check``) to search through
the public API alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import postings, ranking, whoosh_internals
from .matching import leaf_readers

MAX_POSTINGS = 200  # more than one block of 128, little for Whoosh's matcher
SCORED = 16  # postings of each term whose scores are compared (Whoosh scores one per call)
# Where each field's terms are sampled (terms are sorted by their UTF-8
# bytes) and how many are looked at there. The kinds are read through the
# same code as the tags; the ids have a single posting each (inlined).
SAMPLES = (("body", b"m", 24), ("title", b"d", 16), ("tag", b"", 8), ("id", b"", 2))
LENGTHS_SAMPLED = 16  # documents whose field lengths are compared, the last ones among them


@dataclass(frozen=True)
class Outcome:
    problem: str | None  # None: the fast path agrees (or had nothing to compare)
    terms: int  # terms compared


def check(searcher) -> Outcome:
    problem = whoosh_internals.release_problem()
    if problem is not None:
        return Outcome(problem, 0)
    compared = 0
    try:
        readers = leaf_readers(searcher)
        if not readers:
            return Outcome(None, 0)
        reader = max((r for r, _offset in readers), key=lambda r: r.doc_count_all())
        subsearcher = next((sub for sub, _o in searcher.leaf_searchers() if sub.reader() is reader), searcher)
        lengths = postings.FieldLengths()
        ranker = ranking.SegmentRanker(searcher, reader, lengths, {})
        for fieldname, btext in sample_terms(reader):
            compared += 1
            problem = _compare(searcher, subsearcher, reader, ranker, fieldname, btext)
            if problem is not None:
                return Outcome(
                    f"the fast search path disagrees with Whoosh on "
                    f"{fieldname}:{btext.decode('utf-8', 'replace')!r}: {problem}",
                    compared,
                )
        problem = _compare_lengths(reader, lengths)
        if problem is not None:
            return Outcome(f"the fast search path disagrees with Whoosh on {problem}", compared)
    except Exception as exc:  # anything unexpected in the readers: do not trust them
        return Outcome(f"the fast search path could not be checked ({type(exc).__name__}: {exc})", compared)
    return Outcome(None, compared)


def sample_terms(reader) -> list[tuple[str, bytes]]:
    """(field, term) pairs to compare: for each field sampled, the term with
    the most postings up to MAX_POSTINGS among those looked at; and the
    first term of a single posting met."""
    out: list[tuple[str, bytes]] = []
    fields = set(reader.indexed_field_names())
    single = None
    for fieldname, seed, look_at in SAMPLES:
        if fieldname not in fields:
            continue
        best, best_df = None, 0
        for n, (btext, info) in enumerate(reader.iter_field(fieldname, seed)):
            if n >= look_at:
                break
            df = info.doc_frequency()
            if best_df < df <= MAX_POSTINGS:
                best, best_df = btext, df
            if df == 1 and single is None:
                single = (fieldname, btext)
        if best is not None:
            out.append((fieldname, best))
    if single is not None and single not in out:
        out.append(single)
    return out


def _compare(searcher, subsearcher, reader, ranker, fieldname: str, btext: bytes) -> str | None:
    field = searcher.schema[fieldname]
    with_positions = field.format.supports("positions")
    # Whoosh's public side: the term's postings with the searcher's scorer.
    matcher = subsearcher.postings(fieldname, btext)
    ids: list[int] = []
    weights: list[float] = []
    scores: list[float] = []
    values: list[bytes] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if len(scores) < SCORED:
            scores.append(matcher.score())
        if with_positions:
            values.append(matcher.value())
        matcher.next()
    # The fast side: blocks read whole, deleted documents then dropped.
    read = postings.read(reader, fieldname, btext, with_values=with_positions)
    live = np.ones(len(read.ids), dtype=bool)
    if reader.has_deletions():
        live = ~np.isin(read.ids, np.fromiter(reader.deleted_docs_set, dtype=np.int64))
    if read.ids[live].tolist() != ids:
        return f"{len(ids)} documents through Whoosh, {int(live.sum())} read directly, or others"
    if not np.allclose(read.weights[live], weights, rtol=1e-6):
        return "term frequencies differ"
    matches = ranker.term(fieldname, btext)
    if matches.docs.tolist() != ids:
        return "the documents ranked differ"
    if not np.allclose(matches.scores[: len(scores)], scores, rtol=1e-5):
        return "scores differ"
    if with_positions:
        assert read.values is not None  # read with_values=with_positions
        fast_values = [v for v, keep in zip(read.values, live.tolist(), strict=False) if keep]
        docs, where = whoosh_internals.positions(
            fast_values, np.array(ids, dtype=np.int64), field.format.decode_positions
        )
        expected = [
            (doc, p) for doc, value in zip(ids, values, strict=True) for p in field.format.decode_positions(value)
        ]
        if list(zip(docs.tolist(), where.tolist(), strict=True)) != expected:
            return "positions differ"
    return None


def _compare_lengths(reader, lengths: postings.FieldLengths) -> str | None:
    """Field lengths of some documents, the last ones among them (where the
    column may end early), as read in one array and through Whoosh."""
    count = reader.doc_count_all()
    docs = sorted(
        set(np.linspace(0, count - 1, LENGTHS_SAMPLED // 2, dtype=np.int64).tolist())
        | set(range(max(0, count - LENGTHS_SAMPLED // 2), count))
    )
    for fieldname in ("body", "title"):
        if fieldname not in reader.indexed_field_names():
            continue
        fast = lengths.of(reader, fieldname)
        for doc in docs:
            # Whoosh gives None for a length of 0 (its column's byte 0).
            if fast[doc] != (reader.doc_field_length(doc, fieldname, 0) or 0):
                return f"the length of {fieldname} in document {doc}"
    return None
