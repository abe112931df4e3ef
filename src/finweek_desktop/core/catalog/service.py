"""The catalog, composed: one writer and the small parts that share it.

``CatalogService`` builds each part with an explicit constructor, handing it
only what it needs, and exposes them: ``documents``, ``tags``,
``reference``, ``attachments``, ``integrity``, ``imports``, ``history`` and
``trash``; plus ``writer`` (the one write path, the change log's listeners)
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
        self.writer.follower = IndexFollower(engine, index, self.integrity.indexed_documents,
                                             self.documents.count_documents)
        self.writer.on_names_changed = self.reference.refresh_synonyms
        self.reference.refresh_synonyms()

    @property
    def store(self) -> AttachmentStore | None:
        return self.attachments.store

    def search(self, text: str, **options) -> SearchResults:
        return self.index.search(text, **options)

    # -- transitional: the names of the service before it was composed -------

    def __getattr__(self, name: str):
        part = _MOVED.get(name)
        if part is None:
            raise AttributeError(name)
        owner, new_name = part
        return getattr(getattr(self, owner), new_name)


_MOVED = {
    **{n: ("documents", n) for n in ("create_document", "update_document", "delete_document", "delete_documents",
                                     "set_organizations", "get_document", "count_documents", "document_ids",
                                     "list_documents", "summaries")},
    **{n: ("tags", n) for n in ("add_tag", "remove_tag", "rename_tag", "merge_tags", "delete_tag", "set_tag_color")},
    **{n: ("reference", n) for n in ("find_organization", "organizations", "sessions", "events", "places",
                                     "alias_groups", "refresh_synonyms", "add_organization_alias", "add_place_alias")},
    **{n: ("attachments", n) for n in ("attach_files", "attach_many", "create_document_with_files", "detach",
                                       "attachment", "attachment_text", "holders_of", "thumbnail", "render_page",
                                       "page_count", "text_preview", "previews")},
    **{n: ("integrity", n) for n in ("reindex", "sync_index", "check", "repair")},
    **{n: ("writer", n) for n in ("writing", "listeners", "catch_up", "hear_others", "follow_in_background",
                                  "stop_following", "follower")},
    "reading": ("writer", "read"),
}
