"""The one owner of the Whoosh index: open or create, update, delete,
rebuild and search.

The catalog service calls it on every write, so a saved document is
searchable at once. An index that is missing, unreadable or built by another
schema version is reported as needing a rebuild; the service rebuilds it
from the database rather than failing.
"""

from __future__ import annotations

import html
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import sorting
from whoosh.highlight import (
    ContextFragmenter,
    Highlighter,
    HtmlFormatter,
    get_text,
    set_matched_filter,
    top_fragments,
)

from ..filelock import FileLock
from .matching import FacetSets, leaf_readers, matching_docnums, needs_matcher, split_by_segment
from .query import ParsedQuery, make_parser, parse_query
from .schema import (
    PORTUGUESE_SHADOWS,
    SCHEMA_VERSION,
    SNIPPET_FIELDS,
    SNIPPET_SOURCES,
    IndexedDocument,
    build_schema,
)

log = logging.getLogger(__name__)

VERSION_FILE = "finweek-index-version"
INDEX_NAME = "catalog"
SORTS = ("relevance", "date", "date-asc", "title")
_OPEN_ATTEMPTS = 3
# Above this many documents a rebuild uses two writer processes.
_MULTIPROCESS_THRESHOLD = 2000


@dataclass(frozen=True)
class SearchHit:
    id: int
    kind: str
    title: str
    date: str | None  # "2020", "2020-11" or "2020-11-20"
    score: float  # relevance; 0.0 when sorted by date or title
    snippet: str  # HTML: escaped text with <b> around the matches
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResults:
    text: str
    total: int
    hits: tuple[SearchHit, ...]
    kind_counts: dict[str, int] = field(default_factory=dict)
    tag_counts: dict[str, int] = field(default_factory=dict)
    notice: str | None = None


class SearchIndex:
    """A Whoosh index in ``directory``. Thread-safe; one writer at a time."""

    def __init__(self, directory: Path, *, han_index: str = "bigrams", han_query: str = "words"):
        # han_index / han_query choose how Chinese is indexed and queried
        # (see analysis.py); other values than the defaults exist only for
        # benchmarks/relevance.py to measure the alternatives.
        self.directory = Path(directory)
        self._schema = build_schema(han_index)
        self._parser = make_parser(self._schema, han_query=han_query)
        self._version = SCHEMA_VERSION if han_index == "bigrams" else f"{SCHEMA_VERSION}+{han_index}"
        self._ix = None
        self._searcher = None
        self._facets = FacetSets()
        self._lock = threading.RLock()
        # Other processes (the CLI beside the app) open, recreate and swap
        # this directory too: deciding and swapping happen under this lock.
        self._dir_lock = FileLock(self.directory.with_name(self.directory.name + ".lock"))

    # -- opening -----------------------------------------------------------

    def open(self) -> bool:
        """Open the index, creating it empty when unusable.

        Returns True when the caller must fill it (new, damaged, or built with
        another schema version); False when it opened as it was.
        """
        with self._lock, self._dir_lock:
            self.close()
            self._discard_leftovers()
            for attempt in range(_OPEN_ATTEMPTS):
                reason = self._unusable_reason()
                if reason is None:
                    try:
                        self._ix = whoosh_index.open_dir(str(self.directory), indexname=INDEX_NAME)
                        self._ix.doc_count()  # touches the segments: fails if damaged
                        return False
                    except Exception as exc:  # any damage means: rebuild
                        reason = f"unreadable ({exc.__class__.__name__}: {exc})"
                if not reason.startswith("unreadable"):
                    break
                # Another process may be committing (its new TOC not yet in
                # place): only a damage that persists is worth a rebuild.
                time.sleep(0.2 * (attempt + 1))
            level = logging.INFO if reason == "missing" else logging.WARNING
            log.log(level, "search index at %s is %s; recreating it", self.directory, reason)
            self._create_empty(self.directory)
            return True

    def _discard_leftovers(self) -> None:
        """Remove what an interrupted rebuild left beside the index."""
        for suffix in (".rebuild", ".old"):
            leftover = self.directory.with_name(self.directory.name + suffix)
            if leftover.exists():
                log.info("removing %s left by an interrupted rebuild", leftover)
                shutil.rmtree(leftover, ignore_errors=True)

    def _unusable_reason(self) -> str | None:
        try:
            if not whoosh_index.exists_in(str(self.directory), indexname=INDEX_NAME):
                return "missing"
        except Exception as exc:  # exists_in reads the TOC, which may be damaged
            return f"unreadable ({exc.__class__.__name__}: {exc})"
        try:
            version = (self.directory / VERSION_FILE).read_text().strip()
        except OSError:
            return "of an unknown version"
        if version != self._version:
            return f"of version {version}, not {self._version}"
        return None

    def _create_empty(self, directory: Path) -> None:
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        self._ix = whoosh_index.create_in(str(directory), self._schema, indexname=INDEX_NAME)
        (directory / VERSION_FILE).write_text(self._version)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            if self._ix is not None:
                self._ix.close()
                self._ix = None

    @property
    def ix(self):
        if self._ix is None:
            self.open()
        return self._ix

    # -- writing -----------------------------------------------------------

    def upsert(self, documents: Iterable[IndexedDocument]) -> int:
        """Add or replace documents in one commit; returns how many."""
        with self._lock:
            count = 0
            writer = self.ix.writer(timeout=10.0, compound=False)
            try:
                for document in documents:
                    writer.update_document(**document.fields())
                    count += 1
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            return count

    def delete(self, ids: Iterable[int]) -> None:
        with self._lock:
            writer = self.ix.writer(timeout=10.0, compound=False)
            try:
                for doc_id in ids:
                    writer.delete_by_term("id", str(doc_id))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def rebuild(
        self,
        documents: Iterable[IndexedDocument],
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """Replace the whole index with ``documents``.

        The new index is built beside the old one and swapped in at the end,
        so a crash mid-way leaves the old index (or none, which means another
        rebuild at next start), never a half-built one taken for complete.
        """
        # The directory lock is held throughout: another process opening the
        # index waits, rather than taking the staging folder for a leftover.
        with self._lock, self._dir_lock:
            self.close()
            staging = self.directory.with_name(self.directory.name + ".rebuild")
            self._create_empty(staging)
            procs = 2 if total and total >= _MULTIPROCESS_THRESHOLD else 1
            kwargs = {"procs": procs, "multisegment": True} if procs > 1 else {}
            # compound=False: see add_many.
            writer = self._ix.writer(compound=False, **kwargs)
            count = 0
            try:
                for document in documents:
                    writer.add_document(**document.fields())
                    count += 1
                    if progress and count % 200 == 0:
                        progress(count, total)
            except BaseException:
                writer.cancel()
                self.close()
                shutil.rmtree(staging, ignore_errors=True)
                raise
            writer.commit()
            self.close()
            old = self.directory.with_name(self.directory.name + ".old")
            if self.directory.exists():
                self.directory.rename(old)
            staging.rename(self.directory)
            shutil.rmtree(old, ignore_errors=True)
            self._ix = whoosh_index.open_dir(str(self.directory), indexname=INDEX_NAME)
            if progress:
                progress(count, total)
            return count

    # -- reading -----------------------------------------------------------

    def _current_searcher(self):
        if self._searcher is None:
            self._searcher = self.ix.searcher()
        elif not self._searcher.up_to_date():
            # A fresh searcher, not Searcher.refresh(): refresh() reuses the
            # reader of a segment and misses deletions made in it since.
            self._searcher.close()
            self._searcher = self.ix.searcher()
            self._facets.forget_except(r for r, _o in leaf_readers(self._searcher))
        return self._searcher

    def fingerprints(self) -> dict[int, str]:
        """id -> fingerprint of every indexed document (for `check`)."""
        with self._lock:
            searcher = self._current_searcher()
            return {int(f["id"]): f["fingerprint"] for f in searcher.all_stored_fields()}

    def doc_count(self) -> int:
        with self._lock:
            return self._current_searcher().doc_count()

    def parse(self, text: str) -> ParsedQuery:
        return parse_query(text, self._parser)

    def search(
        self,
        text: str,
        *,
        limit: int | None = 20,
        sort: str = "relevance",
        kinds: Iterable[str] = (),
        tags: Iterable[str] = (),
    ) -> SearchResults:
        """Run a query; raises QueryError with a readable message when the
        query cannot be searched at all.

        Whoosh ranks (or sorts) only the page asked for, so its top-N
        optimisations apply; the total and the facet counts come from the
        matching documents, found without scoring (see matching.py); snippets
        are made for the page's hits only, from the fields holding query terms.
        """
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
        parsed = self.parse(text)
        kinds, tags = list(kinds), [t.lower() for t in tags]
        narrowing = _narrowing_filter(kinds, tags)
        sortedby = _SORT_FACETS[sort]
        with self._lock:
            searcher = self._current_searcher()
            term_cache: dict = {}
            page = None
            if needs_matcher(parsed.query):
                # A phrase: one scored pass over every match.
                results = searcher.search(parsed.query, limit=None, sortedby=sortedby)
                matched = split_by_segment(results.docs(), searcher)
                page = [results[i] for i in range(results.scored_length())]
            else:
                matched = matching_docnums(parsed.query, searcher, term_cache)
            if kinds or tags:
                matched = [(r, o, self._narrow(r, docs, kinds, tags)) for r, o, docs in matched]
            total = sum(len(docs) for _r, _o, docs in matched)
            counts = self._facets.counts(matched)
            if page is not None:
                if kinds or tags:
                    allowed = {offset + d for _r, offset, docs in matched for d in docs}
                    page = [hit for hit in page if hit.docnum in allowed]
                page = page[:limit] if limit else page
            elif total == 0:
                page = []
            else:
                allowed = {offset + d for _r, offset, docs in matched for d in docs} if narrowing else None
                results = searcher.search(
                    parsed.query,
                    limit=min(limit, total) if limit else total,
                    filter=allowed,
                    sortedby=sortedby,
                )
                # Not list(results): that asks len(results), which makes
                # Whoosh count every match again (0.3 s for a common word).
                page = [results[i] for i in range(results.scored_length())]
            snippets = _Snippets(self._schema, parsed.query, searcher, matched, term_cache)
            hits = [self._hit(hit, scored=sortedby is None, snippets=snippets) for hit in page]
            return SearchResults(
                text=text,
                total=total,
                hits=tuple(hits),
                kind_counts=_sorted_counts(counts["kind"]),
                tag_counts=_sorted_counts(counts["tag"]),
                notice=parsed.notice,
            )

    def _narrow(self, reader, docs: set[int], kinds: list[str], tags: list[str]) -> set[int]:
        sets = self._facets.for_segment(reader)
        if kinds:
            allowed: set[int] = set()
            for kind in kinds:
                allowed |= sets["kind"].get(kind, set())
            docs = docs & allowed
        for tag in tags:
            docs = docs & sets["tag"].get(tag, set())
        return docs

    def _hit(self, hit, scored: bool, snippets: "_Snippets") -> SearchHit:
        snippet = snippets.for_hit(hit)
        if not snippet:
            summary = hit.get("summary") or ""
            snippet = html.escape(summary[:220] + ("…" if len(summary) > 220 else ""))
        tags = tuple(t for t in (hit.get("tag") or "").split(",") if t)
        return SearchHit(
            id=int(hit["id"]),
            kind=hit["kind"],
            title=hit["title"],
            date=hit.get("date_text"),
            # Sorted results carry their sort key in .score, not a relevance.
            score=float(hit.score) if scored and hit.score is not None else 0.0,
            snippet=snippet,
            tags=tags,
        )

    # -- bulk adds (core/bulk.py) --------------------------------------------

    def add_many(self, documents: Iterable[IndexedDocument], *, procs: int = 1) -> int:
        """Add documents new to the index with ONE writer and one commit.

        For bulk imports: ``documents`` may be a long lazy iterable (the
        importer commits database batches while it is consumed). With
        ``procs`` > 1 the writer indexes in that many processes and keeps
        their segments unmerged, so a whole import costs a few segments.
        Searches keep working meanwhile; other writers wait for the lock.
        """
        kwargs = {"procs": procs, "multisegment": True} if procs > 1 else {}
        # compound=False: Whoosh opens a compound segment through BufferFile,
        # which copies each sub-file (postings, stored fields: hundreds of MB
        # at 50k documents) into memory at every reader open. Plain files are
        # read on demand.
        writer = self.ix.writer(timeout=10.0, compound=False, **kwargs)
        count = 0
        try:
            for document in documents:
                writer.add_document(**document.fields())
                count += 1
        except BaseException:
            writer.cancel()
            raise
        with self._lock:
            writer.commit()
        return count


_SORT_FACETS = {
    "relevance": None,
    "date": sorting.MultiFacet([sorting.FieldFacet("undated"), sorting.FieldFacet("date", reverse=True)]),
    "date-asc": sorting.MultiFacet([sorting.FieldFacet("undated"), sorting.FieldFacet("date")]),
    "title": sorting.FieldFacet("title_sort"),
}


class _SnippetFormatter(HtmlFormatter):
    """Plain <b>…</b> around matches, no classes: easy for any consumer."""

    def format_token(self, text, token, replace=False):
        return "<b>" + html.escape(get_text(text, token, replace), quote=False) + "</b>"


def _narrowing_filter(kinds: Iterable[str], tags: Iterable[str]):
    parts = []
    kinds = list(kinds)
    if kinds:
        parts.append(wq.Or([wq.Term("kind", k) for k in kinds]))
    parts.extend(wq.Term("tag", t.lower()) for t in tags)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _sorted_counts(counts) -> dict[str, int]:
    counts = {str(key): n for key, n in counts.items() if key not in (None, "") and n}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class _Snippets:
    """Highlighted snippets for the hits of one search.

    The terms come from the query (expanded for prefixes), grouped by field,
    negated parts left out; the stored summary, notes and content are
    highlighted with the terms of ``body``, where they are indexed. A field is re-analysed only when the query has
    terms for it and, where the matching step read them, when the hit holds
    one of them: a title-only hit does not re-tokenise 10 KB of content.
    """

    def __init__(self, schema, q, searcher, matched, term_cache):
        self.schema = schema
        self.fragmenter = ContextFragmenter(maxchars=220, surround=70)
        self.formatter = _SnippetFormatter(between=" … ")
        self._highlighter = Highlighter(fragmenter=self.fragmenter, formatter=self.formatter)
        self.terms: dict[str, set] = {}
        reader = searcher.reader()
        for fieldname, btext in _positive_terms(q, reader):
            if fieldname in schema:
                self.terms.setdefault(fieldname, set()).add(btext)
        # docnum -> (segment-local docnum, that segment's term cache)
        self._segments = [(offset, term_cache.get(id(r), {})) for r, offset, _docs in matched]
        self._segments.sort(key=lambda pair: pair[0])

    def _holds(self, docnum: int, fieldname: str, btexts) -> bool:
        """False only when the matching step proved the hit holds none of the terms."""
        offset, cache = 0, {}
        for seg_offset, seg_cache in self._segments:
            if seg_offset <= docnum:
                offset, cache = seg_offset, seg_cache
        local = docnum - offset
        for btext in btexts:
            docs = cache.get((fieldname, btext))
            if docs is None or local in docs:
                return True
        return False

    def _highlight(self, text: str, fieldname: str, docnum: int) -> str:
        btexts = self.terms.get(fieldname)
        if not btexts or not self._holds(docnum, fieldname, btexts):
            return ""
        field = self.schema[fieldname]
        words = frozenset(field.from_bytes(b) for b in btexts)
        # What Whoosh's Highlighter does when it re-tokenises (overlapping
        # matched bigrams merged into one highlighted span).
        tokens = field.analyzer(text, positions=True, chars=True, mode="index", removestops=False)
        tokens = self._highlighter._merge_matched_tokens(set_matched_filter(tokens, words))
        fragments = self.fragmenter.fragment_tokens(text, tokens)
        fragments = top_fragments(fragments, 2, self._highlighter.scorer, self._highlighter.order, minscore=1)
        return self.formatter.format(fragments)

    def for_hit(self, hit) -> str:
        for name in SNIPPET_FIELDS:
            text = hit.get(name)
            if not text:
                continue
            # summary, notes and content are stored only: their words are
            # the body field's, highlighted with its analyzer and terms.
            indexed = SNIPPET_SOURCES.get(name, name)
            snippet = self._highlight(text, indexed, hit.docnum)
            shadow = PORTUGUESE_SHADOWS.get(indexed)
            if not snippet and shadow:
                # Matched through Portuguese stemming only: highlight the
                # stored text with the shadow field's analyzer and terms.
                snippet = self._highlight(text, shadow, hit.docnum)
            if snippet:
                return snippet
        return ""


def _positive_terms(q, reader):
    """(fieldname, btext) of the terms a match can contain: prefixes
    expanded, negated subqueries left out."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from _positive_terms(q.a, reader)
        return
    if q.is_leaf():
        try:
            yield from q.existing_terms(reader, phrases=True, expand=True)
        except Exception:  # a field absent from the index
            pass
        return
    for child in q.children():
        yield from _positive_terms(child, reader)
