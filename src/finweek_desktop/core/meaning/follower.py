"""Embeddings follow the change log, as the search index does.

The position (index_follower's ``Position``: through, applied, gaps) lives
in the catalog database beside the embeddings, in ``embedding_state``, and
is saved in the same transaction as the embeddings it covers: a crash costs
a repeat, never a miss. Embeddings are derived data: they are written here,
not through the catalog's writer, and write no change-log rows.

A catch-up does two things, both safe to repeat or to run from two desktops
of a team catalog at once:

1. apply the log beyond the position: re-embed the documents named, drop
   the vectors of deleted ones;
2. backfill, in two passes: first every document that has no vectors of
   the current model (a new catalog, the seed, a bulk import, a model
   change) is embedded from its first passages only (title, then the start
   of its summary or text: ``FIRST_PASSAGES``), which makes it searchable
   by meaning soon; then each such document gets the rest of its passages.

Each pass is stored with the document's own row (``passage_no`` -1, source
``first-pass`` until the second pass, then ``document``): the row says how
far the document is embedded. It carries the normalized mean of the
passages, which no search reads today (searches hold every passage's signs,
``vectors.py``, and "related" makes the mean from the passages it reads). A
change in the log embeds the document's first pass again; the second pass
follows as for any other document.

A model change (name or version differs from ``embedding_state``) needs
nothing more: every document then lacks vectors of the current model, and
the backfill makes them, a batch at a time, while searches use what exists.
A position older than what the log keeps (a desktop away for a month) drops
every vector and backfills them all.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, delete, exists, func, insert, select, update

from .. import changelog
from ..index_follower import GAP_GRACE_SECONDS, DocumentSource, Position
from ..models import Change, Document, Embedding, EmbeddingState
from .encoder import Encoder
from .passages import FIRST_PASSAGES, Passage, passages
from .vectors import DocumentIndex, DocumentVectors, PassageRef, document_vector, quantize, signs

log = logging.getLogger(__name__)

BATCH = 32  # documents embedded and committed together
_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # a driver's placeholder, by its paramstyle
_LOG_BATCH = 2000

Progress = Callable[[int, int | None], None]

DOCUMENT_ROW = -1  # passage_no of a document's own vector
FIRST_PASS = "first-pass"  # its source while only the first passages are embedded
COMPLETE = "document"  # its source once every passage is


@dataclass(frozen=True)
class EmbeddingStatus:
    documents: int
    missing: int  # documents without vectors of the current model
    pending_changes: int  # logged changes not applied yet
    model: str
    model_version: str
    partial: int = 0  # documents embedded from their first passages only (the second pass follows)


class EmbeddingFollower:
    def __init__(
        self,
        engine: Engine,
        encoder: Encoder,
        documents: DocumentSource,
        cache: DocumentIndex,
        gap_grace: float = GAP_GRACE_SECONDS,
    ):
        self.engine = engine
        self.encoder = encoder
        self._documents = documents
        self.cache = cache
        self._gap_grace = gap_grace
        self._lock = threading.RLock()
        self._patching = False  # between a write's commit and the vectors in memory patched (vectors())

    # -- state -------------------------------------------------------------

    def _state(self, connection: Connection) -> tuple[str, str, Position | None, int]:
        row = connection.execute(
            select(
                EmbeddingState.model, EmbeddingState.model_version, EmbeddingState.position, EmbeddingState.generation
            ).where(EmbeddingState.id == 1)
        ).one_or_none()
        if row is None:
            connection.execute(insert(EmbeddingState).values(id=1, model="", model_version="", generation=0))
            return "", "", None, 0
        try:
            position = Position.from_json(json.loads(row.position)) if row.position else None
        except (ValueError, KeyError, TypeError):
            position = None
        return row.model, row.model_version, position, int(row.generation)

    def _current(self):
        return (Embedding.model == self.encoder.name) & (Embedding.model_version == self.encoder.version)

    def _missing_query(self):
        embedded = exists().where(
            Embedding.document_id == Document.id, Embedding.passage_no == DOCUMENT_ROW, self._current()
        )
        return select(Document.id).where(~embedded)

    def _partial_query(self):
        return select(Embedding.document_id).where(
            Embedding.passage_no == DOCUMENT_ROW, Embedding.source == FIRST_PASS, self._current()
        )

    def status(self) -> EmbeddingStatus:
        with self.engine.connect() as connection:
            documents = connection.scalar(select(func.count()).select_from(Document)) or 0
            missing = connection.scalar(select(func.count()).select_from(self._missing_query().subquery())) or 0
            partial = connection.scalar(select(func.count()).select_from(self._partial_query().subquery())) or 0
            _model, _version, position, _generation = self._state(connection)
            if position is None:
                pending = 0  # all is backfilled
            else:
                beyond = connection.scalar(select(func.count()).where(Change.seq > position.through)) or 0
                pending = max(0, beyond - len(position.applied))
        return EmbeddingStatus(documents, missing, pending, self.encoder.name, self.encoder.version, partial)

    # -- the in-memory vectors -----------------------------------------------

    def vectors(self) -> DocumentIndex:
        """The documents' vectors, reloaded when another process (or a model change) wrote embeddings."""
        with self.engine.connect() as connection:
            generation = connection.scalar(select(EmbeddingState.generation).where(EmbeddingState.id == 1)) or 0
        held = self.cache.generation
        # One generation on while this process's own write patches the
        # vectors in: a search keeps what is held (one batch behind) rather
        # than read every vector again (seconds at 50,000 documents).
        if held != generation and not (self._patching and held is not None and generation == held + 1):
            self._reload(generation)
        return self.cache

    def _reload(self, generation: int) -> None:
        """Every passage's signs, streamed into one matrix (the vectors themselves stay in the database)."""
        current = (Embedding.passage_no >= 0) & self._current()
        words = self.encoder.dimensions // 64
        with self.engine.connect() as connection:
            rows = connection.scalar(select(func.count()).select_from(Embedding).where(current)) or 0
            matrix = np.zeros((rows, words), dtype=np.uint64, order="F")  # see vectors._BLOCK
            ids: list[int] = []
            counts: list[int] = []
            result = connection.execution_options(stream_results=True, yield_per=4096).execute(
                select(Embedding.document_id, Embedding.vector)
                .where(current)
                .order_by(Embedding.document_id, Embedding.passage_no)
            )
            at = 0
            chunk: list[bytes] = []
            for document_id, vector in result:
                if at + len(chunk) >= rows:  # written meanwhile: more rows than counted
                    break
                if not ids or ids[-1] != document_id:
                    ids.append(document_id)
                    counts.append(0)
                counts[-1] += 1
                chunk.append(vector)
                if len(chunk) == 4096:
                    at = self._signs_into(matrix, at, chunk)
                    chunk = []
            at = self._signs_into(matrix, at, chunk)
        self.cache.load_matrix(matrix[:at], np.array(ids, dtype=np.int64), np.array(counts, dtype=np.int64), generation)

    @staticmethod
    def _signs_into(matrix: np.ndarray, at: int, chunk: list[bytes]) -> int:
        if chunk:
            vectors = np.frombuffer(b"".join(chunk), dtype=np.int8).reshape(len(chunk), -1)
            matrix[at : at + len(chunk)] = signs(vectors)
        return at + len(chunk)

    def passage_vectors(self, ids: list[int], *, places: bool = True) -> dict[int, DocumentVectors]:
        """The stored passages of these documents (the second stage of a
        search). Without ``places``, each passage's number only (its source
        "", start and end 0), a third less to read: a search asks
        ``passage_places`` for its winners' passages alone."""
        out: dict[int, DocumentVectors] = {}
        placed = 'source, start, "end"' if places else "'', 0, 0"
        with self.engine.connect() as connection:
            # The driver's SQL: at 1,600 rows (200 candidates), the ORM's
            # rows and types cost as much again as reading them.
            mark = _MARKS[connection.dialect.paramstyle]  # SQLite's and psycopg's: no other driver is used
            for first in range(0, len(ids), 500):
                chunk = ids[first : first + 500]
                rows = connection.exec_driver_sql(
                    f"SELECT document_id, passage_no, {placed}, vector, scale FROM {Embedding.__tablename__}"
                    f" WHERE document_id IN ({', '.join([mark] * len(chunk))}) AND passage_no >= 0"
                    f" AND model = {mark} AND model_version = {mark} ORDER BY document_id, passage_no",
                    (*chunk, self.encoder.name, self.encoder.version),
                ).fetchall()
                out.update(_documents_vectors(rows))
        return out

    def passage_places(self, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], PassageRef]:
        """(document id, passage number) -> where that passage is in the document."""
        if not wanted:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    Embedding.document_id, Embedding.passage_no, Embedding.source, Embedding.start, Embedding.end
                ).where(  # not (document_id, passage_no) IN (...): SQLite reads every row for that
                    Embedding.document_id.in_({d for d, _ in wanted}),
                    Embedding.passage_no.in_({n for _, n in wanted}),
                    self._current(),
                )
            ).all()
        asked = set(wanted)
        return {(r[0], r[1]): PassageRef(r[1], r[2], r[3], r[4]) for r in rows if (r[0], r[1]) in asked}

    # -- following -----------------------------------------------------------

    def catch_up(
        self,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        *,
        refine: bool = True,
        refining: Progress | None = None,
    ) -> bool:
        """Apply the log, then backfill (the first pass, then, with
        ``refine``, the second); True when every document is embedded with
        the current model (every passage, with ``refine``) and the log is
        applied. ``progress`` follows the first pass, ``refining`` the
        second. ``stop`` ends it early (what is done is saved)."""
        if not self.encoder.available:
            return False
        with self._lock:
            position = self._start()
            if not self._apply_log(position, stop, progress):
                return False
            if not self._backfill(self._missing_query(), False, progress, stop):
                return False
            return not refine or self._backfill(self._partial_query(), True, refining, stop)

    def _start(self) -> Position:
        with self.engine.begin() as connection:
            model, version, position, _generation = self._state(connection)
            pruned = changelog.pruned_through(connection)
            if (model, version) != (self.encoder.name, self.encoder.version):
                log.info("embeddings made with %s %s; making them with %s %s", model, version, *self._model())
                connection.execute(
                    update(EmbeddingState)
                    .where(EmbeddingState.id == 1)
                    .values(model=self.encoder.name, model_version=self.encoder.version)
                )
                self._bump(connection, None)  # the vectors in memory are of the old model
            if position is not None and position.through >= pruned:
                return position
            if position is not None:  # the log no longer holds what was missed: redo all
                log.warning("the embeddings are behind what the change log keeps; making them all again")
                connection.execute(delete(Embedding))
            # Everything logged so far is covered by the backfill that follows.
            position = Position(pruned)
            seqs = connection.scalars(select(Change.seq).where(Change.seq > pruned)).all()
            position.advance(seqs, time.time(), self._gap_grace)
            self._bump(connection, position)
        self.cache.forget()
        return position

    def _model(self) -> tuple[str, str]:
        return self.encoder.name, self.encoder.version

    def _apply_log(self, position: Position, stop: threading.Event | None, progress: Progress | None = None) -> bool:
        """Embed (the first passes of) the documents the log names beyond
        the position; a bulk import's are reported to ``progress`` as they go."""
        while not (stop and stop.is_set()):
            with self.engine.connect() as connection:
                rows = changelog.read_after(connection, position.through, _LOG_BATCH + len(position.applied))
            todo = [r for r in rows if r.seq not in position.applied]
            if not todo:
                return True
            ids = sorted({r.document_id for r in todo if r.document_id is not None})
            for first in range(0, max(len(ids), 1), BATCH):
                chunk = ids[first : first + BATCH]
                last = first + BATCH >= len(ids)
                seen = [r.seq for r in rows] if last else []
                self._embed(chunk, position, seen, second=False)
                if progress is not None and len(ids) > BATCH:  # not for an edit or two
                    progress(min(first + BATCH, len(ids)), len(ids))
            if len(rows) < _LOG_BATCH:
                return True
        return False

    def _backfill(self, query, second: bool, progress: Progress | None, stop: threading.Event | None) -> bool:
        """Embed every document ``query`` selects, a batch at a time: their
        first passes, or (``second``) the rest of their passages."""
        with self.engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(query.subquery())) or 0
        done = 0
        while True:
            if stop and stop.is_set():
                return False
            with self.engine.connect() as connection:
                ids = list(connection.scalars(query.order_by(*query.selected_columns).limit(BATCH)))
            if not ids:
                return True
            embedded = self._embed(ids, None, [], second=second)
            if not embedded:  # each vanished meanwhile, or none could be embedded
                return False
            done += len(ids)
            if progress is not None:
                progress(min(done, total), total)

    def _embed(self, ids: list[int], position: Position | None, seen: Iterable[int], *, second: bool) -> int:
        """Embed ``ids`` as they are now and commit their vectors (with the
        position advanced over ``seen``) in one transaction: the first
        passes, or (``second``) the rest of the passages beside the stored
        first ones (all again when the document changed in between)."""
        documents = list(self._documents(ids)) if ids else []
        kept = self.passage_vectors([d.id for d in documents]) if second and documents else {}
        plans: list[tuple[int, list[Passage], DocumentVectors | None, bool]] = []
        for document in documents:
            every = passages(document)
            first = every[:FIRST_PASSAGES]
            held = kept.get(document.id)
            if (
                second
                and held is not None
                and [(r.source, r.start, r.end) for r in held.passages]
                == [(p.source, p.start, p.end) for p in every[: len(held.passages)]]
            ):
                plans.append((document.id, every[len(held.passages) :], held, True))
            elif second:
                plans.append((document.id, every, None, True))
            else:
                plans.append((document.id, first, None, len(first) == len(every)))
        texts = [p.text for _i, todo, _h, _c in plans for p in todo]
        rows8, scales = quantize(self.encoder.encode(texts))
        by_document: dict[int, np.ndarray | None] = dict.fromkeys(ids)
        values: list[dict] = []
        at = 0
        for document_id, todo, held, complete in plans:
            new_rows, new_scales = rows8[at : at + len(todo)], scales[at : at + len(todo)]
            at += len(todo)
            before = len(held.passages) if held is not None else 0
            if held is not None:
                new_rows = np.concatenate([held.rows, new_rows])
                new_scales = np.concatenate([held.scales, new_scales])
            for n in range(before, len(new_rows)):
                p = todo[n - before]
                values.append(self._row(document_id, n, p.source, p.start, p.end, new_rows[n], new_scales[n]))
            floats = new_rows.astype(np.float32) * new_scales[:, None]
            mean8, mean_scale = quantize(document_vector(floats)[None, :])
            source = COMPLETE if complete else FIRST_PASS
            values.append(self._row(document_id, DOCUMENT_ROW, source, 0, len(new_rows), mean8[0], mean_scale[0]))
            by_document[document_id] = signs(new_rows)
        self._patching = True  # until the vectors in memory hold this write (vectors())
        try:
            with self.engine.begin() as connection:
                if ids and second:  # the stored first passes stay; a changed document's go
                    again = [d for d, _t, held, _c in plans if held is None]
                    connection.execute(
                        delete(Embedding).where(
                            Embedding.document_id.in_(ids),
                            (Embedding.passage_no == DOCUMENT_ROW)
                            | Embedding.document_id.in_(again)
                            | (Embedding.passage_no >= FIRST_PASSAGES),
                        )
                    )
                elif ids:
                    connection.execute(delete(Embedding).where(Embedding.document_id.in_(ids)))
                present = set(connection.scalars(select(Document.id).where(Document.id.in_([d.id for d in documents]))))
                values = [v for v in values if v["document_id"] in present]  # deleted while embedding
                if values:
                    connection.execute(insert(Embedding), values)
                if position is not None:
                    position.advance(seen, time.time(), self._gap_grace)
                generation = self._bump(connection, position)
            for document_id in set(by_document) - present:
                by_document[document_id] = None
            in_memory = self.cache.generation
            if in_memory is not None and generation == in_memory + 1:
                self.cache.update(by_document, generation)
            elif in_memory != generation:  # (equal: a search read it all again since the commit)
                self.cache.forget()  # another process wrote too: reload at the next search
        finally:
            self._patching = False
        return len(present)

    def _row(self, document_id: int, n: int, source: str, start: int, end: int, vector, scale) -> dict:
        return {
            "document_id": document_id,
            "passage_no": n,
            "source": source,
            "start": start,
            "end": end,
            "model": self.encoder.name,
            "model_version": self.encoder.version,
            "vector": np.asarray(vector, dtype=np.int8).tobytes(),
            "scale": float(scale),
        }

    def _bump(self, connection: Connection, position: Position | None) -> int:
        values: dict = {"generation": EmbeddingState.generation + 1}
        if position is not None:
            values["position"] = json.dumps(position.to_json())
        connection.execute(update(EmbeddingState).where(EmbeddingState.id == 1).values(**values))
        return int(connection.scalar(select(EmbeddingState.generation).where(EmbeddingState.id == 1)) or 0)

    def redo(self, progress: Progress | None = None, refine: bool = True) -> int:
        """Drop every vector and make them all again (``finweek reindex
        --meaning``; the first passes only without ``refine``)."""
        with self._lock:
            with self.engine.begin() as connection:
                connection.execute(delete(Embedding))
                connection.execute(update(EmbeddingState).where(EmbeddingState.id == 1).values(position=None))
            self.cache.forget()
            self.catch_up(progress, refine=refine, refining=progress)
            status = self.status()
            return status.documents - status.missing


def _documents_vectors(rows) -> dict[int, DocumentVectors]:
    """(document_id, passage_no, source, start, end, vector, scale) rows,
    ordered by document: each document's passages, views of one matrix."""
    if not rows:
        return {}
    matrix = np.frombuffer(b"".join([r[5] for r in rows]), dtype=np.int8).reshape(len(rows), -1)
    scales = np.array([r[6] for r in rows], dtype=np.float32)
    refs = [PassageRef(r[1], r[2], r[3], r[4]) for r in rows]
    owners = [r[0] for r in rows]
    out = {}
    start = 0
    for end in range(1, len(rows) + 1):
        if end == len(rows) or owners[end] != owners[start]:
            out[owners[start]] = DocumentVectors(matrix[start:end], scales[start:end], tuple(refs[start:end]))
            start = end
    return out
