"""The catalog, composed: one writer and the small parts that share it.

``CatalogService`` builds each part with an explicit constructor, handing it
only what it needs, and exposes them: ``documents``, ``tags``,
``reference``, ``attachments``, ``reading`` (OCR), ``integrity``,
``imports``, ``history``, ``trash``, ``collections`` (and saved searches),
``notes``, ``batch``, ``bibliography`` (references in and out, citations),
``meaning`` (search by meaning) and ``team``; plus ``writer`` (the one
write path, the change log's listeners) and ``search``. No part inherits
from another or calls another's private members. Reads hand out plain
dataclasses from ``records``, never ORM objects.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from ..attachments.store import AttachmentStore
from ..database import server_failure
from ..index_follower import IndexFollower
from ..search.index import SearchIndex, SearchResults
from ..team.team import Team
from .attaching import Attachments
from .batch import BatchEdit
from .bibliography import Bibliography
from .collections import Collections
from .documents import Documents
from .history import History
from .hits import Highlights, HitPlaces
from .imports import Imports
from .integrity import Integrity
from .meaning import Meaning, passage_sources
from .notes import Notes
from .reading import Reading
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
        self.reading = Reading(self.writer, store)
        self.places = HitPlaces(self.writer, index)
        self.highlights = Highlights(self.writer, index, self.attachments.page_words)
        self.integrity = Integrity(self.writer, index, self.documents, self.attachments)
        self.imports = Imports(self.writer, index, self.integrity, self.attachments, self.history)
        self.bibliography = Bibliography(self.writer, self.documents, self.reference, self.imports, self.attachments)
        self.collections = Collections(self.writer, self.history, index)
        self.notes = Notes(self.writer, self.history)
        self.batch = BatchEdit(self.writer, self.reference, self.history)
        self.writer.follower = IndexFollower(
            engine, index, self.integrity.indexed_documents, self.documents.count_documents
        )
        # Embeddings follow the same log, in the background (meaning.py).
        self.meaning = Meaning(self.writer, index, passage_sources(self.writer))
        self.writer.on_names_changed = self.reference.refresh_synonyms
        try:
            self.reference.refresh_synonyms()
        except DBAPIError as exc:  # a team catalog's server away: taken again once it answers
            if server_failure(exc) is None:
                raise
        self.team = Team(self.writer)

    @property
    def store(self) -> AttachmentStore | None:
        return self.attachments.store

    def search(self, text: str, *, mode: str = "words", **options) -> SearchResults:
        """``mode``: words, meaning or hybrid (meaning.py); each hit says which
        attached files and pages matched (``where``)."""
        if mode != "words":
            try:
                results, by_words = self.meaning.search_with_words(text, mode=mode, **options)
                return self.places.locate(results, only=by_words)
            except DBAPIError as exc:  # a team catalog's server away: by words, from this desktop's index
                if server_failure(exc) is None:
                    raise
        return self.places.locate(self.index.search(text, **options))
