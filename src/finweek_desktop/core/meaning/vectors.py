"""Vectors held in memory and searched exactly with numpy.

Each passage vector is stored and held as int8 with one float scale (512
bytes + 4 a passage; a quarter of float32). A search converts the matrix to
float32 a block at a time (a few MB of transient memory), multiplies it by
the query and takes each document's best passage. The int8 rounding moves a
cosine by at most about 0.004, well below the gaps that order results, so
no rescoring pass is needed (benchmarks/README.md measures it).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np

_BLOCK = 8192  # rows converted to float32 at a time (16 MB at 512 dimensions)


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 rows -> (int8 rows, float32 scales); row ≈ int8 * scale."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, dtype=np.float32)
    scales = (peak / 127.0).astype(np.float32)
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    return np.clip(np.rint(vectors / safe), -127, 127).astype(np.int8), scales


@dataclass(frozen=True)
class PassageRef:
    passage_no: int
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class DocumentVectors:
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


class VectorCache:
    """Every embedded document's vectors; rebuilt into one matrix on demand."""

    def __init__(self, dimensions: int):
        self.dimensions = dimensions
        self.generation: int | None = None  # the database's embedding generation it holds; None: not loaded
        self._documents: dict[int, DocumentVectors] = {}
        self._matrix: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lock = threading.RLock()

    def load(self, documents: dict[int, DocumentVectors], generation: int) -> None:
        with self._lock:
            self._documents = documents
            self._matrix = None
            self.generation = generation

    def update(self, changed: dict[int, DocumentVectors | None], generation: int) -> None:
        """Patch in what this process wrote (None: the document has no vectors now)."""
        with self._lock:
            if self.generation is None:
                return  # not loaded: the next load reads it all
            for document_id, vectors in changed.items():
                if vectors is None:
                    self._documents.pop(document_id, None)
                else:
                    self._documents[document_id] = vectors
            self._matrix = None
            self.generation = generation

    def forget(self) -> None:
        with self._lock:
            self._documents = {}
            self._matrix = None
            self.generation = None

    def get(self, document_id: int) -> DocumentVectors | None:
        with self._lock:
            return self._documents.get(document_id)

    def __len__(self) -> int:
        return len(self._documents)

    def passages(self) -> int:
        with self._lock:
            return sum(len(d.passages) for d in self._documents.values())

    def nbytes(self) -> int:
        matrix = self._built()
        return sum(a.nbytes for a in matrix)

    def _built(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(int8 matrix, scales, document id of each row, first row of each document)."""
        with self._lock:
            if self._matrix is None:
                ids = sorted(self._documents)
                parts = [self._documents[i] for i in ids]
                if parts:
                    matrix = np.concatenate([p.rows for p in parts])
                    scales = np.concatenate([p.scales for p in parts])
                    counts = np.array([len(p.passages) for p in parts])
                else:
                    matrix = np.zeros((0, self.dimensions), dtype=np.int8)
                    scales = np.zeros(0, dtype=np.float32)
                    counts = np.zeros(0, dtype=np.int64)
                owners = np.repeat(np.array(ids, dtype=np.int64), counts)
                starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(ids) else counts
                # Each document's rows become views of the matrix: the vectors are held once.
                for document_id, first, count in zip(ids, starts.tolist(), counts.tolist(), strict=True):
                    held = self._documents[document_id]
                    self._documents[document_id] = DocumentVectors(
                        matrix[first : first + count], scales[first : first + count], held.passages
                    )
                self._matrix = (matrix, scales, owners, starts)
            return self._matrix

    def nearest(
        self,
        queries: np.ndarray,
        *,
        limit: int,
        exclude: Collection[int] = (),
        allowed: Iterable[int] | None = None,
        floor: float = -1.0,
    ) -> list[Near]:
        """The ``limit`` documents whose best passage is nearest to any of the
        query vectors (float32 rows of length 1), best first, scored at least ``floor``."""
        matrix, scales, owners, starts = self._built()
        if not len(matrix) or not len(queries) or limit <= 0:
            return []
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dimensions)
        best = np.empty(len(matrix), dtype=np.float32)
        for first in range(0, len(matrix), _BLOCK):
            block = matrix[first : first + _BLOCK].astype(np.float32) @ queries.T
            best[first : first + _BLOCK] = block.max(axis=1)
        best *= scales
        per_document = np.maximum.reduceat(best, starts)
        document_ids = owners[starts]
        keep = per_document >= floor
        if exclude:
            keep &= ~np.isin(document_ids, np.fromiter(exclude, dtype=np.int64))
        if allowed is not None:
            keep &= np.isin(document_ids, np.fromiter(allowed, dtype=np.int64))
        candidates = np.flatnonzero(keep)
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-per_document[candidates], limit - 1)[:limit]]
        candidates = candidates[np.argsort(-per_document[candidates], kind="stable")]
        out = []
        with self._lock:
            for index in candidates.tolist():
                document_id = int(document_ids[index])
                vectors = self._documents.get(document_id)
                first = int(starts[index])
                row = int(np.argmax(best[first : first + (len(vectors.passages) if vectors else 1)]))
                passage = vectors.passages[row] if vectors else PassageRef(0, "title", 0, 0)
                out.append(Near(document_id, float(per_document[index]), passage))
        return out
