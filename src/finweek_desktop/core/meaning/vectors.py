"""Vectors searched exactly with numpy, in two stages.

Each passage vector is stored as int8 with one float scale (512 bytes + 4 a
passage; a quarter of float32), and so is one vector a document (the
normalized mean of its passages). Memory holds each passage's signs only
(``DocumentIndex``: 64 bytes a passage, 26 MB for 400,000 passages at
50,000 documents); the vectors stay in the database.

1. The first stage compares the query's signs with every passage's (the
   Hamming distance, which follows the angle between the two vectors) and
   keeps the ``candidates`` documents with the nearest passage.
2. The second stage reads those candidates' passages from the database and
   scores each by its nearest passage (the cosine the results show, and the
   passage shown as the snippet), as an exact search over every passage
   would.

A document whose nearest passage falls outside the candidates by its signs
is missed; benchmarks/README.md measures how often (the top 10 of two
stages against an exact search over every passage: 0.99 at 3,000
documents with 200 candidates; the mean vector of each document instead of
the signs found 0.61).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

_BLOCK = 65536  # passages compared at a time
# The signs matrix is column-major (order="F"): the first stage walks it one
# 64-bit word of every passage at a time, contiguous, which measured 17 -> 8 ms
# for 400,000 passages against row by row.
# Documents the first stage hands to the second (their passages are read
# from the database: about 8 rows each).
CANDIDATES = 150
# The first stage keeps this many times as many documents by the Hamming
# distance of their signs, then ranks those by the query's own values over
# each passage's signs. At 50,000 embedded documents (20 queries), the top
# 10 of both stages held 0.98 of an exact search's, against 0.895 for 200
# candidates by Hamming alone, in the same time (benchmarks/README.md).
WIDEN = 4


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


class PassageRef(NamedTuple):  # a tuple: thousands are read for each search
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


def signs(vectors: np.ndarray) -> np.ndarray:
    """float or int8 rows -> their signs, 8 uint64 a row of 512 dimensions."""
    return np.packbits(np.asarray(vectors) > 0, axis=1).view(np.uint64)


def _nearest_signs(matrix: np.ndarray, wanted: np.ndarray, nearest: np.ndarray) -> None:
    """``nearest`` lowered to each passage's distance to the nearest query row's signs."""
    xor = np.empty(_BLOCK, dtype=np.uint64)  # reused: no new arrays per block
    bits = np.empty(_BLOCK, dtype=np.uint8)
    distance = np.empty(_BLOCK, dtype=np.uint16)
    for first in range(0, len(matrix), _BLOCK):
        block = matrix[first : first + _BLOCK]
        n = len(block)
        for query in wanted:
            distance[:n] = 0
            for column, word in enumerate(query):  # a column of the F-ordered matrix is contiguous
                np.bitwise_xor(block[:, column], word, out=xor[:n])
                np.bitwise_count(xor[:n], out=bits[:n])
                distance[:n] += bits[:n]
            np.minimum(nearest[first : first + n], distance[:n], out=nearest[first : first + n])


@functools.cache
def _second_core() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="finweek-signs")


class DocumentIndex:
    """Every embedded document's passages as signs, in memory; rebuilt into one matrix on demand."""

    def __init__(self, dimensions: int):
        self.dimensions = dimensions
        self.generation: int | None = None  # the database's embedding generation it holds; None: not loaded
        self._signs: dict[int, np.ndarray] = {}  # document id -> (passages, dimensions / 64) uint64
        self._matrix: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lock = threading.RLock()

    def load(self, held: dict[int, np.ndarray], generation: int) -> None:
        with self._lock:
            self._signs = held
            self._matrix = None
            self.generation = generation

    def load_matrix(self, matrix: np.ndarray, ids: np.ndarray, counts: np.ndarray, generation: int) -> None:
        """Load every document's signs at once: ``matrix`` holds them one
        document after another (sorted by id), ``counts`` passages each (no
        second copy is made)."""
        starts = np.zeros(len(ids), dtype=np.int64)
        if len(ids):
            np.cumsum(counts[:-1], out=starts[1:])
        held = {
            int(document_id): matrix[first : first + count]
            for document_id, first, count in zip(ids.tolist(), starts.tolist(), counts.tolist(), strict=True)
        }
        with self._lock:
            self._signs = held
            self._matrix = (matrix, np.asarray(ids, dtype=np.int64), starts)
            self.generation = generation

    def update(self, changed: Mapping[int, np.ndarray | None], generation: int) -> None:
        """Patch in what this process wrote (None: the document has no passages now).

        When searches use the matrix, the new one is built here, on the
        writer's thread, while they go on with the old: built at the next
        search instead, it cost that search 60 to 130 ms at 50,000 documents
        after each batch of the background embedding."""
        with self._lock:
            if self.generation is None:
                return  # not loaded: the next load reads it all
            if self._matrix is None:  # no search since the last change: built at the next one
                _patch(self._signs, changed)
                self.generation = generation
                return
            before, signs = self.generation, dict(self._signs)
        _patch(signs, changed)
        matrix = _matrix_of(signs, self.dimensions)
        with self._lock:
            if self.generation != before:  # loaded again meanwhile: what it read is newer
                return
            self._signs, self._matrix, self.generation = signs, matrix, generation

    def forget(self) -> None:
        with self._lock:
            self._signs = {}
            self._matrix = None
            self.generation = None

    def __contains__(self, document_id: int) -> bool:
        return document_id in self._signs

    def __len__(self) -> int:
        return len(self._signs)

    def passages(self) -> int:
        return len(self._built()[0])

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._built())

    def _built(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(signs of every passage, document ids, first row of each document)."""
        with self._lock:
            if self._matrix is None:
                self._matrix = _matrix_of(self._signs, self.dimensions)
            return self._matrix

    def distances(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(document ids, the fewest signs that differ between any of the
        document's passages and any query row)."""
        return self._distances(self._built(), queries)

    def _distances(
        self, built: tuple[np.ndarray, np.ndarray, np.ndarray], queries: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        matrix, ids, starts = built
        wanted = signs(np.asarray(queries, dtype=np.float32).reshape(-1, self.dimensions))
        nearest = np.full(len(matrix), self.dimensions, dtype=np.uint16)
        if len(matrix) >= 2 * _BLOCK:  # numpy lets go of the GIL: half on a second core
            middle = len(matrix) // 2
            other = _second_core().submit(_nearest_signs, matrix[middle:], wanted, nearest[middle:])
            _nearest_signs(matrix[:middle], wanted, nearest[:middle])
            other.result()
        else:
            _nearest_signs(matrix, wanted, nearest)
        per_document = np.minimum.reduceat(nearest, starts) if len(ids) else nearest[:0]
        return ids, per_document

    def candidates(
        self,
        queries: np.ndarray,
        *,
        limit: int,
        exclude: Collection[int] = (),
        allowed: Iterable[int] | None = None,
    ) -> list[int]:
        """The first stage: the ``limit`` documents whose passages' signs are
        nearest, best first (``WIDEN`` times as many by Hamming distance,
        then ranked by ``_sign_scores``)."""
        built = self._built()  # one matrix for both steps: the writer may swap in another meanwhile
        ids, distance = self._distances(built, queries)
        if not len(ids) or limit <= 0:
            return []
        keep = np.ones(len(ids), dtype=bool)
        if exclude:
            keep &= ~np.isin(ids, np.fromiter(exclude, dtype=np.int64))
        if allowed is not None:
            keep &= np.isin(ids, np.fromiter(allowed, dtype=np.int64))
        picked = np.flatnonzero(keep)
        wide = limit * WIDEN
        if len(picked) > wide:
            picked = picked[np.argpartition(distance[picked], wide - 1)[:wide]]
        if len(picked) > limit:
            scores = _sign_scores(built, picked, queries)
            picked = picked[np.argsort(-scores, kind="stable")[:limit]]
        else:
            picked = picked[np.argsort(distance[picked], kind="stable")]
        return [int(i) for i in ids[picked]]


def _sign_scores(
    built: tuple[np.ndarray, np.ndarray, np.ndarray], picked: np.ndarray, queries: np.ndarray
) -> np.ndarray:
    """For the documents at ``picked`` (rows of the id array), the best
    over their passages and the query rows of the query's values summed
    with each passage's signs (+1 or -1 a dimension): the query keeps its
    magnitudes, where the Hamming distance compares signs with signs."""
    matrix, _ids, starts = built
    ends = np.append(starts[1:], len(matrix))
    counts = ends[picked] - starts[picked]
    firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows = np.repeat(starts[picked] - firsts, counts) + np.arange(int(counts.sum()))
    bits = np.unpackbits(np.ascontiguousarray(matrix[rows]).view(np.uint8), axis=1).astype(np.float32)
    queries = np.asarray(queries, dtype=np.float32).reshape(-1, matrix.shape[1] * 64)
    per_passage = (2 * (bits @ queries.T) - queries.sum(axis=1)).max(axis=1)
    return np.maximum.reduceat(per_passage, firsts)


def _patch(held: dict[int, np.ndarray], changed: Mapping[int, np.ndarray | None]) -> None:
    for document_id, signs_of in changed.items():
        if signs_of is None or not len(signs_of):
            held.pop(document_id, None)
        else:
            held[document_id] = signs_of


def _matrix_of(held: dict[int, np.ndarray], dimensions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signs of every passage, document ids, first row of each document)
    of ``held``, whose arrays become views of the matrix: the signs are
    held once."""
    ids = sorted(held)
    parts = [held[i] for i in ids]
    matrix = np.zeros((sum(len(p) for p in parts), dimensions // 64), dtype=np.uint64, order="F")  # see _BLOCK
    if parts:
        np.concatenate(parts, out=matrix)
    counts = np.array([len(p) for p in parts], dtype=np.int64)
    starts = np.zeros(len(ids), dtype=np.int64)
    if len(ids):
        np.cumsum(counts[:-1], out=starts[1:])
    for document_id, first, count in zip(ids, starts.tolist(), counts.tolist(), strict=True):
        held[document_id] = matrix[first : first + count]
    return matrix, np.array(ids, dtype=np.int64), starts


def rescore(
    queries: np.ndarray, found: Mapping[int, DocumentVectors], *, limit: int, floor: float = -1.0
) -> list[Near]:
    """The second stage: documents scored by their nearest passage to any
    query row, best first, at least ``floor``, at most ``limit``."""
    queries = np.asarray(queries, dtype=np.float32)
    documents = [(document_id, v) for document_id, v in found.items() if len(v.passages)]
    if not documents or not len(queries):
        return []
    # One product for every candidate's passages (1,600 rows for 200
    # candidates): a product a document cost 3.4 ms in Python's loop.
    rows = np.concatenate([v.rows for _, v in documents]).astype(np.float32)
    cosines = (rows @ queries.T).max(axis=1) * np.concatenate([v.scales for _, v in documents])
    scored = []
    start = 0
    for document_id, vectors in documents:
        end = start + len(vectors.passages)
        row = int(np.argmax(cosines[start:end]))
        if cosines[start + row] >= floor:
            scored.append(Near(document_id, float(cosines[start + row]), vectors.passages[row]))
        start = end
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
