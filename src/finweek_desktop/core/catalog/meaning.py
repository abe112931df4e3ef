"""Search by meaning and related documents: the catalog's part that owns the
embeddings (``core/meaning/``).

- ``search(text, mode=...)``: ``words`` is the word index alone (BM25);
  ``meaning`` ranks documents by the cosine of their nearest passage to the
  query, whatever their language; ``hybrid`` fuses both rankings by
  weighted reciprocal rank fusion. Field clauses (``year:2020``, ``kind:``,
  ``tag:``...), ``kinds``, ``tags``, sorting and facets work in every mode
  (the index's ``page``). A hit found by meaning shows its nearest passage.
- ``related(id)``: the documents nearest in meaning to one document, with
  the passage that makes each near.
- The embeddings follow the change log in the background
  (``follow_in_background``), and at once for the CLI (``catch_up``).
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ..database import database_error_message
from ..dates import PartialDate
from ..index_follower import DocumentSource
from ..meaning.encoder import Encoder, shared_encoder
from ..meaning.follower import EmbeddingFollower, EmbeddingStatus
from ..meaning.passages import passages, source_text
from ..meaning.vectors import DocumentIndex, Near, PassageRef, document_vector, nearest, rescore
from ..models import Attachment, Document, Note, Tag, document_tags
from ..search.index import SearchHit, SearchIndex, SearchResults, summary_snippet
from ..search.query import asks_exact, split_fields
from ..search.schema import IndexedDocument
from .writer import CatalogWriter

log = logging.getLogger(__name__)

MODES = ("words", "meaning", "hybrid")
# benchmarks/relevance.py decides: hybrid leads on the cross-lingual and
# paraphrase groups and stays within 0.02 of words on every other group
# (benchmarks/README.md), so it is the default of the CLI and the Search tab.
DEFAULT_MODE = "hybrid"
CANDIDATES = 50  # word matches the fusion ranks (more when more are shown)
# Documents nearest in meaning that a search hands on: its total and facets
# count them. Each costs an index lookup for its fields (about 0.3 ms).
MEANING_POOL = 50
# Cosine below which a document is not "near" (USE multilingual v3: texts on
# unrelated finance topics score about 0.1 to 0.3 against each other; 0.25
# measured best on the relevance set among 0.25, 0.30 and 0.35).
MEANING_FLOOR = 0.25
RRF_K = 60
# The background embedding waits for this long without a write before it
# runs, and steps aside at a write: embedding beside a bulk import slowed it.
QUIET_SECONDS = 2.0
WORDS_WEIGHT = 1.0
# The meaning ranking counts for less than the words': a word match keeps
# its place, meaning reorders among word matches and adds what words miss
# after them. At 1.0 or 0.7, hybrid lost 0.04 MRR to words on the English
# group; at 0.3 it stays within 0.01 on every existing group.
MEANING_WEIGHT = 0.3
SNIPPET_CHARS = 220
# Documents whose vectors are nearest to one document's, whose passages are
# then compared with its passages (the related documents).
RELATED_CANDIDATES = 100


def fuse(text: str, words: Sequence[SearchHit], near: Sequence[Near]) -> dict[int, float]:
    """Weighted reciprocal rank fusion of the word ranking and the meaning
    ranking: document id -> fused score, best first. A title that is the
    query itself (the word search's hit) stays first."""
    fused: dict[int, float] = {}
    for rank, hit in enumerate(words, start=1):
        fused[hit.id] = fused.get(hit.id, 0.0) + WORDS_WEIGHT / (RRF_K + rank)
    for rank, n in enumerate(near, start=1):
        fused[n.document_id] = fused.get(n.document_id, 0.0) + MEANING_WEIGHT / (RRF_K + rank)
    order = sorted(fused, key=lambda i: -fused[i])
    wanted = " ".join(text.split()).casefold()
    exact = [h.id for h in words if " ".join(h.title.split()).casefold() == wanted][:1]
    if exact:
        fused[exact[0]] = fused[order[0]] + 1e-6 if exact[0] != order[0] else fused[exact[0]]
        order = exact + [i for i in order if i != exact[0]]
    return {i: fused[i] for i in order}


@dataclass(frozen=True)
class RelatedHit:
    id: int
    title: str
    kind: str
    score: float  # cosine of the nearest passages
    passage: str  # the other document's passage nearest to this one


def passage_sources(writer: CatalogWriter) -> DocumentSource:
    """What embedding reads of each document: its kind, title, summary,
    notes and attachment text (joined as the search index joins them), in
    plain queries: none of the links the word index also needs. Notes are
    the document's own field and the researcher's notes (catalog/notes.py)."""

    def read(ids: Iterable[int] | None) -> Iterator[IndexedDocument]:
        with writer.engine.connect() as connection:
            wanted = (
                list(ids) if ids is not None else list(connection.scalars(select(Document.id).order_by(Document.id)))
            )
            for first in range(0, len(wanted), 500):
                chunk = wanted[first : first + 500]
                texts: dict[int, list[str]] = {}
                for document_id, text in connection.execute(
                    select(Attachment.document_id, Attachment.text)
                    .where(Attachment.document_id.in_(chunk))
                    .order_by(Attachment.id)
                ):
                    if text:
                        texts.setdefault(document_id, []).append(text)
                notes: dict[int, list[str]] = {}
                for document_id, note in connection.execute(
                    select(Note.document_id, Note.body).where(Note.document_id.in_(chunk)).order_by(Note.id)
                ):
                    if note:
                        notes.setdefault(document_id, []).append(note)
                rows = connection.execute(
                    select(Document.id, Document.kind, Document.title, Document.summary, Document.notes)
                    .where(Document.id.in_(chunk))
                    .order_by(Document.id)
                )
                for row in rows:
                    yield IndexedDocument(
                        id=row.id,
                        kind=row.kind,
                        title=row.title,
                        summary=row.summary or "",
                        notes="\n\n".join([row.notes or "", *notes.get(row.id, ())]).strip(),
                        content="\n\n".join(texts.get(row.id, ())),
                    )

    return read


class Meaning:
    def __init__(
        self,
        writer: CatalogWriter,
        index: SearchIndex,
        documents: DocumentSource,
        encoder: Encoder | None = None,
    ):
        self.index = index
        self.encoder = encoder or shared_encoder()
        self._writer = writer
        self._documents = documents
        self.follower = EmbeddingFollower(
            writer.engine, self.encoder, documents, DocumentIndex(self.encoder.dimensions)
        )
        self.progress: tuple[int, int | None] | None = None  # of the background backfill's first pass
        self.refining: tuple[int, int | None] | None = None  # of its second pass
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Set by each write (and by stop_following): the background embedding
        # steps aside until the writes pause (a bulk import keeps its pace).
        self._pause = threading.Event()
        self._last_write = 0.0
        self._thread: threading.Thread | None = None
        writer.listeners.append(self._written)

    # -- keeping up --------------------------------------------------------

    def status(self) -> EmbeddingStatus:
        return self.follower.status()

    def catch_up(self, progress: Callable[[int, int | None], None] | None = None, refine: bool = True) -> bool:
        """Embed what is missing or changed now (the CLI before a search);
        without ``refine``, the first passes only (searchable, not complete)."""
        try:
            return self.follower.catch_up(progress, refine=refine, refining=progress)
        except OperationalError as exc:  # a full disk, a read-only database: one line, not a traceback
            log.warning("the embeddings could not catch up: %s", database_error_message(exc))
            return False
        except Exception:  # the catalog is saved; the embeddings catch up later
            log.warning("the embeddings could not catch up", exc_info=True)
            return False

    def redo(self, progress: Callable[[int, int | None], None] | None = None, refine: bool = True) -> int:
        return self.follower.redo(progress, refine=refine)

    def _written(self, _changes) -> None:
        self._last_write = time.monotonic()
        self._pause.set()
        self._wake.set()

    def follow_in_background(self, interval: float = 5.0, quiet: float = QUIET_SECONDS) -> None:
        """Embed in a daemon thread: once the writes have paused for
        ``quiet`` seconds after each write (a write in the middle stops it
        until then; what is embedded is kept), and every ``interval``
        seconds for what other desktops wrote."""
        if self._thread is not None or self._stop.is_set() or not self.encoder.available:
            return  # running, or stopped for good (the catalog closed)

        def report(done: int, total: int | None) -> None:
            self.progress = None if total is not None and done >= total else (done, total)

        def refining(done: int, total: int | None) -> None:
            self.progress = None
            self.refining = None if total is not None and done >= total else (done, total)

        def loop() -> None:
            told: str | None = None  # the last database failure logged
            while not self._stop.is_set():
                while (wait := self._last_write + quiet - time.monotonic()) > 0 and not self._stop.is_set():
                    self._stop.wait(wait)  # a bulk import is writing: let it
                self._pause.clear()
                try:
                    done = self.follower.catch_up(report, stop=self._pause, refining=refining)
                except OperationalError as exc:  # a full disk, a read-only database: said once, not every turn
                    said = database_error_message(exc)
                    if said != told:
                        log.warning("the embeddings could not catch up; trying again later: %s", said)
                    told = said
                    done = True
                except Exception:
                    log.warning("the embeddings could not catch up; trying again later", exc_info=True)
                    done = True
                else:
                    told = None
                if not done and self._pause.is_set():
                    continue  # a write came: on once they pause (the progress stays shown)
                self.progress = None
                self.refining = None
                self._wake.wait(interval)
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name="finweek-embeddings", daemon=True)
        self._thread.start()

    def stop_following(self) -> None:
        """Stop embedding in the background, for good: the catalog closes (a
        window's timer asking later starts nothing)."""
        self._stop.set()
        self._pause.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    # -- searching ---------------------------------------------------------

    def search_with_words(
        self,
        text: str,
        *,
        mode: str = DEFAULT_MODE,
        limit: int | None = 20,
        sort: str = "relevance",
        kinds=(),
        tags=(),
    ) -> tuple[SearchResults, frozenset[int] | None]:
        """The results, and which of them the word search matched (None: all)."""
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
        free, fields = split_fields(text)
        if mode == "words" or not free or not self.encoder.available or (mode == "hybrid" and asks_exact(text)):
            return self.index.search(text, limit=limit, sort=sort, kinds=kinds, tags=tags), None
        if mode == "hybrid":  # first: a query the word index refuses is refused at once
            # The ranking of as many word matches as are shown (snippets for those only).
            words = self.index.search(
                text, limit=max(CANDIDATES, limit or 0), kinds=kinds, tags=tags, snippets=limit or None
            )
        near = self.nearest(free, limit=MEANING_POOL)
        page = {"text": text, "filter_text": fields, "limit": limit, "sort": sort, "kinds": kinds, "tags": tags}
        if mode == "meaning":
            ranked = [(n.document_id, n.score, "") for n in near]
            described = self._described([n.document_id for n in near], fields)
            results = self.index.page(ranked, described=described, **page)
            return self._with_passages(results, {n.document_id: n for n in near}), frozenset()
        worded = {h.id for h in words.hits}
        described = self._described([n.document_id for n in near if n.document_id not in worded], fields)
        fused = fuse(text, words.hits, near)
        snippets = {h.id: h.snippet for h in words.hits}
        ranked = [(i, score, snippets.get(i, "")) for i, score in fused.items()]
        results = self.index.page(ranked, notice=words.notice, base=words, described=described, **page)
        found = self._with_passages(results, {n.document_id: n for n in near if n.document_id not in snippets})
        return found, frozenset(snippets)

    def _described(self, ids: list[int], fields: str) -> dict[int, SearchHit] | None:
        """Hits for documents found by meaning alone, read from the catalog
        database: the index's stored fields hold each document's whole text
        (50 documents: 11 ms there, 2 ms here). None when a query of fields
        (``year:2020``) leaves the filtering to the index."""
        if fields.strip() or not ids:
            return None
        tags: dict[int, list[str]] = {}
        with self._writer.engine.connect() as connection:
            for document_id, name in connection.execute(
                select(document_tags.c.document_id, Tag.name)
                .join(Tag, Tag.id == document_tags.c.tag_id)
                .where(document_tags.c.document_id.in_(ids))
                .order_by(Tag.name_key)
            ):
                tags.setdefault(document_id, []).append(name.replace(",", " "))
            rows = connection.execute(
                select(Document.id, Document.kind, Document.title, Document.date, Document.summary).where(
                    Document.id.in_(ids)
                )
            ).all()
        return {
            row.id: SearchHit(
                id=row.id,
                kind=row.kind,
                title=row.title,
                date=PartialDate.parse(row.date).iso() if row.date else None,
                score=0.0,
                snippet=summary_snippet(row.summary or ""),
                tags=tuple(tags.get(row.id, ())),
            )
            for row in rows
        }

    def nearest(self, free_text: str, limit: int = CANDIDATES) -> list[Near]:
        query = self.encoder.encode([free_text])
        if not np.any(query):
            return []
        index = self.follower.vectors()

        def numbered(ids: list[int]):
            return self.follower.passage_vectors(ids, places=False)

        found = nearest(index, numbered, query, limit=limit, floor=MEANING_FLOOR)
        places = self.follower.passage_places([(n.document_id, n.passage.passage_no) for n in found])
        # A passage gone meanwhile (its document embedded again: the second
        # pass after an import) keeps its document, shown without a passage
        # (as a title, which is not repeated as the snippet).
        untold = {n.document_id: PassageRef(n.passage.passage_no, "title", 0, 0) for n in found}
        return [
            replace(n, passage=places.get((n.document_id, n.passage.passage_no), untold[n.document_id])) for n in found
        ]

    def _with_passages(self, results: SearchResults, found: dict[int, Near]) -> SearchResults:
        """Hits found by meaning show their nearest passage (unless it is the title, shown already)."""
        wanted = {h.id: found[h.id] for h in results.hits if h.id in found and found[h.id].passage.source != "title"}
        if not wanted:
            return results
        texts = self._passage_texts(wanted)
        hits = tuple(replace(h, snippet=html.escape(texts[h.id])) if texts.get(h.id) else h for h in results.hits)
        return replace(results, hits=hits)

    def _passage_texts(self, near: dict[int, Near]) -> dict[int, str]:
        return {d.id: _passage(d, near[d.id]) for d in self._documents(list(near))}

    # -- related documents -------------------------------------------------

    def related(self, document_id: int, limit: int = 10) -> list[RelatedHit]:
        """The ``limit`` documents nearest in meaning to one, whatever their
        language; raises LookupError for a document that does not exist."""
        index = self.follower.vectors()
        own = self.follower.passage_vectors([document_id]).get(document_id)
        if own is not None:
            queries = own.floats()
        else:  # not embedded yet: embed it now, without storing
            documents = list(self._documents([document_id]))
            if not documents:
                raise LookupError(f"no document with id {document_id}")
            queries = self.encoder.encode([p.text for p in passages(documents[0])])
        queries = queries[np.linalg.norm(queries, axis=1) > 0]
        # The first stage compares the signs of every passage with those of
        # this document's mean vector, the second their passages with its passages.
        mean = document_vector(queries)[None, :] if len(queries) else queries
        first = index.candidates(mean, limit=RELATED_CANDIDATES, exclude={document_id})
        near = rescore(queries, self.follower.passage_vectors(first), limit=limit) if first else []
        found = {d.id: d for d in self._documents([n.document_id for n in near])} if near else {}
        hits = []
        for n in near:
            document = found.get(n.document_id)
            if document is None:  # deleted meanwhile
                continue
            hits.append(
                RelatedHit(n.document_id, document.title, document.kind, round(n.score, 4), _passage(document, n))
            )
        return hits


def _passage(document: IndexedDocument, near: Near) -> str:
    ref = near.passage
    text = " ".join(source_text(document, ref.source)[ref.start : ref.end].split())
    return text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")
