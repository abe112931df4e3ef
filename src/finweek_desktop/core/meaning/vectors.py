"""Vectors searched exactly with numpy, in two stages.

Each passage vector is stored as int8 with one float scale (512 bytes + 4 a
passage; a quarter of float32), and so is one vector a document: the
normalized mean of its passages. Only the document vectors are held in
memory (``DocumentIndex``: 25 MB at 50,000 documents); the passages stay in
the database.

1. The first stage multiplies every document vector by the query (the int8
   matrix converted to float32 a block at a time) and keeps the best
   ``candidates`` documents.
2. The second stage reads those candidates' passages from the database and
   scores each by its nearest passage (the cosine the results show, and the
   passage shown as the snippet), as an exact search over every passage
   would.

A document whose nearest passage would rank it but whose mean falls outside
the candidates is missed; benchmarks/README.md measures how often (the top
10 of two stages against an exact search over every passage).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

_BLOCK = 8192  # rows converted to float32 at a time (16 MB at 512 dimensions)
# Documents the first stage hands to the second (their passages are read
# from the database: about 8 rows each).
CANDIDATES = 200


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 rows -> (int8 rows, float32 scales); row ≈ int8 * scale."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, dtype=np.float32)
    scales = (peak / 127.0).astype(np.float32)
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    return np.clip(np.rint(vectors / safe), -127, 127).astype(np.int8), scales


def document_vector(passages: np.ndarray) -> np.ndarray:
    """One float32 vector of length 1 (or 0) for a document: the mean of its passages' vectors."""
    passages = np.asarray(passages, dtype=np.float32)
    if not len(passages):
        return np.zeros(passages.shape[1], dtype=np.float32)
    mean = passages.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


@dataclass(frozen=True)
class PassageRef:
    passage_no: int
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class DocumentVectors:
    """A document's passages: what the second stage scores."""

    rows: np.ndarray  # (passages, dimensions) int8
    scales: np.ndarray  # (passages,) float32
    passages: tuple[PassageRef, ...]

    def floats(self) -> np.ndarray:
        return self.rows.astype(np.float32) * self.scales[:, None]


@dataclass(frozen=True)
class Near:
    document_id: int
    score: float  # cosine of the best passage
    passage: PassageRef


# Document ids -> their passages (the database, or memory for benchmarks/relevance.py).
PassageSource = Callable[[list[int]], Mapping[int, DocumentVectors]]


class DocumentIndex:
    """One int8 vector a document, in memory; rebuilt into one matrix on demand."""

    def __init__(self, dimensions: int):
        self.dimensions = dimensions
        self.generation: int | None = None  # the database's embedding generation it holds; None: not loaded
        self._vectors: dict[int, tuple[np.ndarray, float]] = {}
        self._matrix: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lock = threading.RLock()

    def load(self, vectors: dict[int, tuple[np.ndarray, float]], generation: int) -> None:
        with self._lock:
            self._vectors = vectors
            self._matrix = None
            self.generation = generation

    def update(self, changed: Mapping[int, tuple[np.ndarray, float] | None], generation: int) -> None:
        """Patch in what this process wrote (None: the document has no vector now)."""
        with self._lock:
            if self.generation is None:
                return  # not loaded: the next load reads it all
            for document_id, vector in changed.items():
                if vector is None:
                    self._vectors.pop(document_id, None)
                else:
                    self._vectors[document_id] = vector
            self._matrix = None
            self.generation = generation

    def forget(self) -> None:
        with self._lock:
            self._vectors = {}
            self._matrix = None
            self.generation = None

    def get(self, document_id: int) -> np.ndarray | None:
        """The document's vector as float32, or None."""
        with self._lock:
            held = self._vectors.get(document_id)
        return None if held is None else held[0].astype(np.float32) * held[1]

    def __len__(self) -> int:
        return len(self._vectors)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._built())

    def _built(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(int8 matrix, scales, document id of each row)."""
        with self._lock:
            if self._matrix is None:
                ids = sorted(self._vectors)
                if ids:
                    matrix = np.stack([self._vectors[i][0] for i in ids])
                    scales = np.array([self._vectors[i][1] for i in ids], dtype=np.float32)
                else:
                    matrix = np.zeros((0, self.dimensions), dtype=np.int8)
                    scales = np.zeros(0, dtype=np.float32)
                # Each document's row becomes a view of the matrix: the vectors are held once.
                for row, document_id in enumerate(ids):
                    self._vectors[document_id] = (matrix[row], float(scales[row]))
                self._matrix = (matrix, scales, np.array(ids, dtype=np.int64))
            return self._matrix

    def scores(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(document ids, the best cosine of each document's vector to any query row)."""
        matrix, scales, ids = self._built()
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dimensions)
        best = np.empty(len(matrix), dtype=np.float32)
        for first in range(0, len(matrix), _BLOCK):
            block = matrix[first : first + _BLOCK].astype(np.float32) @ queries.T
            best[first : first + _BLOCK] = block.max(axis=1) if len(queries) else -1.0
        best *= scales
        return ids, best

    def candidates(
        self,
        queries: np.ndarray,
        *,
        limit: int,
        exclude: Collection[int] = (),
        allowed: Iterable[int] | None = None,
    ) -> list[int]:
        """The first stage: the ``limit`` documents whose vectors are nearest, best first."""
        ids, best = self.scores(queries)
        if not len(ids) or limit <= 0:
            return []
        keep = np.ones(len(ids), dtype=bool)
        if exclude:
            keep &= ~np.isin(ids, np.fromiter(exclude, dtype=np.int64))
        if allowed is not None:
            keep &= np.isin(ids, np.fromiter(allowed, dtype=np.int64))
        picked = np.flatnonzero(keep)
        if len(picked) > limit:
            picked = picked[np.argpartition(-best[picked], limit - 1)[:limit]]
        picked = picked[np.argsort(-best[picked], kind="stable")]
        return [int(i) for i in ids[picked]]


def rescore(
    queries: np.ndarray, found: Mapping[int, DocumentVectors], *, limit: int, floor: float = -1.0
) -> list[Near]:
    """The second stage: documents scored by their nearest passage to any
    query row, best first, at least ``floor``, at most ``limit``."""
    queries = np.asarray(queries, dtype=np.float32)
    scored = []
    for document_id, vectors in found.items():
        if not len(vectors.passages) or not len(queries):
            continue
        cosines = (vectors.rows.astype(np.float32) @ queries.T).max(axis=1) * vectors.scales
        row = int(np.argmax(cosines))
        if cosines[row] >= floor:
            scored.append(Near(document_id, float(cosines[row]), vectors.passages[row]))
    scored.sort(key=lambda n: (-n.score, n.document_id))
    return scored[: max(limit, 0)]


def nearest(
    index: DocumentIndex,
    passages_of: PassageSource,
    queries: np.ndarray,
    *,
    limit: int,
    exclude: Collection[int] = (),
    allowed: Iterable[int] | None = None,
    floor: float = -1.0,
    candidates: int = CANDIDATES,
) -> list[Near]:
    """Both stages: the ``limit`` documents whose nearest passage is nearest
    to any of the query vectors (float32 rows of length 1)."""
    queries = np.asarray(queries, dtype=np.float32).reshape(-1, index.dimensions)
    if not len(queries) or limit <= 0:
        return []
    first = index.candidates(queries, limit=max(candidates, limit), exclude=exclude, allowed=allowed)
    if not first:
        return []
    return rescore(queries, passages_of(first), limit=limit, floor=floor)


def exact_nearest(
    found: Mapping[int, DocumentVectors], queries: np.ndarray, *, limit: int, floor: float = -1.0
) -> list[Near]:
    """Every passage of every document scored (what two stages approximate): for tests and benchmarks."""
    return rescore(
        np.asarray(queries, dtype=np.float32).reshape(-1, queries.shape[-1]), found, limit=limit, floor=floor
    )
