"""The catalog, composed: one writer and the small parts that share it.

``CatalogService`` builds each part with an explicit constructor, handing it
only what it needs, and exposes them: ``documents``, ``tags``,
``reference``, ``attachments``, ``integrity``, ``imports``, ``history``,
``trash`` and ``meaning``; plus ``writer`` (the one write path, the change log's listeners)
and ``search``. No part inherits from another or calls another's private
members. Reads hand out plain dataclasses from ``records``, never ORM objects.
"""

from __future__ import annotations

from sqlalchemy import Engine

from ..attachments.store import AttachmentStore
from ..index_follower import IndexFollower
from ..search.index import SearchIndex, SearchResults
from .attaching import Attachments
from .documents import Documents
from .history import History
from .imports import Imports
from .integrity import Integrity
from .meaning import Meaning, passage_sources
from .reference import Reference
from .tagging import Tags
from .trash import Trash
from .writer import CatalogWriter


class CatalogService:
    def __init__(self, engine: Engine, index: SearchIndex, store: AttachmentStore | None = None):
        self.engine = engine
        self.index = index
        self.writer = CatalogWriter(engine)
        self.trash = Trash(self.writer)
        self.history = History(self.writer, self.trash)
        self.reference = Reference(self.writer, index)
        self.tags = Tags(self.writer, self.history)
        self.documents = Documents(self.writer, self.tags, self.reference, self.history, self.trash)
        self.attachments = Attachments(self.writer, store, self.documents, self.history)
        self.integrity = Integrity(self.writer, index, self.documents, self.attachments)
        self.imports = Imports(self.writer, index, self.integrity, self.attachments)
        self.writer.follower = IndexFollower(
            engine, index, self.integrity.indexed_documents, self.documents.count_documents
        )
        # Embeddings follow the same log, in the background (meaning.py).
        self.meaning = Meaning(self.writer, index, passage_sources(self.writer))
        self.writer.on_names_changed = self.reference.refresh_synonyms
        self.reference.refresh_synonyms()

    @property
    def store(self) -> AttachmentStore | None:
        return self.attachments.store

    def search(self, text: str, *, mode: str = "words", **options) -> SearchResults:
        """``mode``: words, meaning or hybrid (meaning.py)."""
        if mode == "words":
            return self.index.search(text, **options)
        return self.meaning.search(text, mode=mode, **options)
