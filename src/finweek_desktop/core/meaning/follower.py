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
2. backfill: embed every document that has no vectors of the current model
   (a new catalog, the seed, a bulk import, a model change).

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
from .passages import passages
from .vectors import DocumentVectors, PassageRef, VectorCache, quantize

log = logging.getLogger(__name__)

BATCH = 32  # documents embedded and committed together
_LOG_BATCH = 2000

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class EmbeddingStatus:
    documents: int
    missing: int  # documents without vectors of the current model
    pending_changes: int  # logged changes not applied yet
    model: str
    model_version: str


class EmbeddingFollower:
    def __init__(
        self,
        engine: Engine,
        encoder: Encoder,
        documents: DocumentSource,
        cache: VectorCache,
        gap_grace: float = GAP_GRACE_SECONDS,
    ):
        self.engine = engine
        self.encoder = encoder
        self._documents = documents
        self.cache = cache
        self._gap_grace = gap_grace
        self._lock = threading.RLock()

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
        embedded = exists().where(Embedding.document_id == Document.id, self._current())
        return select(Document.id).where(~embedded)

    def status(self) -> EmbeddingStatus:
        with self.engine.connect() as connection:
            documents = connection.scalar(select(func.count()).select_from(Document)) or 0
            missing = connection.scalar(select(func.count()).select_from(self._missing_query().subquery())) or 0
            _model, _version, position, _generation = self._state(connection)
            if position is None:
                pending = 0  # all is backfilled
            else:
                beyond = connection.scalar(select(func.count()).where(Change.seq > position.through)) or 0
                pending = max(0, beyond - len(position.applied))
        return EmbeddingStatus(documents, missing, pending, self.encoder.name, self.encoder.version)

    # -- the in-memory vectors -----------------------------------------------

    def vectors(self) -> VectorCache:
        """The cache, reloaded when another process (or a model change) wrote embeddings."""
        with self.engine.connect() as connection:
            generation = connection.scalar(select(EmbeddingState.generation).where(EmbeddingState.id == 1)) or 0
        if self.cache.generation != generation:
            self._reload(generation)
        return self.cache

    def _reload(self, generation: int) -> None:
        rows: dict[int, list] = {}
        with self.engine.connect() as connection:
            result = connection.execute(
                select(
                    Embedding.document_id,
                    Embedding.passage_no,
                    Embedding.source,
                    Embedding.start,
                    Embedding.end,
                    Embedding.vector,
                    Embedding.scale,
                )
                .where(self._current())
                .order_by(Embedding.document_id, Embedding.passage_no)
            )
            for row in result:
                rows.setdefault(row.document_id, []).append(row)
        documents = {}
        for document_id, passage_rows in rows.items():
            matrix = np.frombuffer(b"".join(r.vector for r in passage_rows), dtype=np.int8)
            documents[document_id] = DocumentVectors(
                matrix.reshape(len(passage_rows), -1),
                np.array([r.scale for r in passage_rows], dtype=np.float32),
                tuple(PassageRef(r.passage_no, r.source, r.start, r.end) for r in passage_rows),
            )
        self.cache.load(documents, generation)

    # -- following -----------------------------------------------------------

    def catch_up(self, progress: Progress | None = None, stop: threading.Event | None = None) -> bool:
        """Apply the log, then backfill; True when every document is embedded
        with the current model and the log is applied. ``stop`` ends it
        early (what is done is saved)."""
        if not self.encoder.available:
            return False
        with self._lock:
            position = self._start()
            if not self._apply_log(position, stop):
                return False
            return self._backfill(progress, stop)

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

    def _apply_log(self, position: Position, stop: threading.Event | None) -> bool:
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
                self._embed(chunk, position, seen)
            if len(rows) < _LOG_BATCH:
                return True
        return False

    def _backfill(self, progress: Progress | None, stop: threading.Event | None) -> bool:
        with self.engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(self._missing_query().subquery())) or 0
        done = 0
        while True:
            if stop and stop.is_set():
                return False
            with self.engine.connect() as connection:
                ids = connection.scalars(self._missing_query().order_by(Document.id).limit(BATCH)).all()
            if not ids:
                return True
            embedded = self._embed(list(ids), None, [])
            if not embedded:  # each vanished meanwhile, or none could be embedded
                return False
            done += len(ids)
            if progress is not None:
                progress(min(done, total), total)

    def _embed(self, ids: list[int], position: Position | None, seen: Iterable[int]) -> int:
        """Embed ``ids`` as they are now and commit their vectors (with the
        position advanced over ``seen``) in one transaction."""
        documents = list(self._documents(ids)) if ids else []
        items = [(d.id, p) for d in documents for p in passages(d)]
        vectors = self.encoder.encode([p.text for _i, p in items])
        rows8, scales = quantize(vectors)
        by_document: dict[int, DocumentVectors | None] = dict.fromkeys(ids)
        values = []
        for document in documents:
            picks = [k for k, (i, _p) in enumerate(items) if i == document.id]
            refs = tuple(
                PassageRef(n, items[k][1].source, items[k][1].start, items[k][1].end) for n, k in enumerate(picks)
            )
            by_document[document.id] = DocumentVectors(rows8[picks], scales[picks], refs)
            for ref, k in zip(refs, picks, strict=True):
                values.append(
                    {
                        "document_id": document.id,
                        "passage_no": ref.passage_no,
                        "source": ref.source,
                        "start": ref.start,
                        "end": ref.end,
                        "model": self.encoder.name,
                        "model_version": self.encoder.version,
                        "vector": rows8[k].tobytes(),
                        "scale": float(scales[k]),
                    }
                )
        with self.engine.begin() as connection:
            if ids:
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
        if self.cache.generation is not None and generation == self.cache.generation + 1:
            self.cache.update(by_document, generation)
        else:
            self.cache.forget()  # another process wrote too: reload at the next search
        return len(present)

    def _bump(self, connection: Connection, position: Position | None) -> int:
        values: dict = {"generation": EmbeddingState.generation + 1}
        if position is not None:
            values["position"] = json.dumps(position.to_json())
        connection.execute(update(EmbeddingState).where(EmbeddingState.id == 1).values(**values))
        return int(connection.scalar(select(EmbeddingState.generation).where(EmbeddingState.id == 1)) or 0)

    def redo(self, progress: Progress | None = None) -> int:
        """Drop every vector and make them all again (``finweek reindex --meaning``)."""
        with self._lock:
            with self.engine.begin() as connection:
                connection.execute(delete(Embedding))
                connection.execute(update(EmbeddingState).where(EmbeddingState.id == 1).values(position=None))
            self.cache.forget()
            self.catch_up(progress)
            return self.status().documents - self.status().missing
