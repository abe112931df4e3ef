"""What a transaction changed, read off the session at each flush.

Seeding, imports, undo and every edit write through ``CatalogService.writing()``;
this listener sees all of them, so the change log and the ChangeSet a write
returns never depend on each caller remembering what it touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect
from sqlalchemy.orm import Session as DbSession

from ..models import (
    Attachment,
    Collection,
    CollectionDocument,
    Document,
    DocumentOrganization,
    DocumentPerson,
    Organization,
    OrganizationAlias,
    Place,
    Tag,
)

# Rows whose change alters the alias groups handed to the search index.
ALIAS_MODELS = (Organization, OrganizationAlias, Place)

_KEY = "finweek.tracked"


@dataclass
class Tracked:
    created: set[int] = field(default_factory=set)
    changed: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    attachments: set[int] = field(default_factory=set)  # document ids
    tags: bool = False
    organizations: bool = False
    aliases: bool = False
    collections: bool = False


def tracked(session: DbSession) -> Tracked:
    return session.info.setdefault(_KEY, Tracked())


def forget(session: DbSession) -> Tracked:
    return session.info.pop(_KEY, None) or Tracked()


def note_flush(session: DbSession, _flush_context) -> None:
    seen = tracked(session)
    for obj in session.new:
        _note(seen, obj, created=True)
    for obj in session.deleted:
        _note(seen, obj, deleted=True)
    for obj in session.dirty:
        # An organization whose document links changed keeps its names.
        if session.is_modified(obj, include_collections=not isinstance(obj, ALIAS_MODELS)):
            _note(seen, obj)


def _note(seen: Tracked, obj, *, created: bool = False, deleted: bool = False) -> None:
    if isinstance(obj, Document):
        if created:
            seen.created.add(obj.id)
        elif deleted:
            seen.deleted.add(obj.id)
        else:
            seen.changed.add(obj.id)
            state = inspect(obj)
            seen.tags = seen.tags or state.attrs.tags.history.has_changes()
            seen.organizations = seen.organizations or state.attrs.organization_links.history.has_changes()
    elif isinstance(obj, Attachment):
        seen.attachments.add(obj.document_id)
    elif isinstance(obj, DocumentPerson) and obj.document_id is not None:
        seen.changed.add(obj.document_id)  # a new document's own id is taken out of "changed" at logging
    elif isinstance(obj, Tag):
        seen.tags = True
    elif isinstance(obj, DocumentOrganization):
        seen.organizations = True
    elif isinstance(obj, Collection):
        seen.collections = True
    elif isinstance(obj, CollectionDocument):
        seen.collections = True
        seen.changed.add(obj.document_id)  # its collections changed: logged, so the index and views follow
    if isinstance(obj, ALIAS_MODELS):
        seen.organizations = seen.aliases = True
