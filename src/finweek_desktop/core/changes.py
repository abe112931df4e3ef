"""What a write changed: the one answer every write of the core gives.

The GUI refreshes from it (one "catalog changed" signal), the CLI says from
it whether the change is searchable yet, and undo records from it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

SAVED_NOT_YET_SEARCHABLE = "saved; it will be searchable in a moment"


class ChangeAction(enum.StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"
    ALIASES = "aliases"  # names every search expands (places, organizations)
    COLLECTIONS = "collections"  # collections or saved searches (names, nesting, queries)


@dataclass(frozen=True)
class ChangeSet:
    created: frozenset[int] = frozenset()  # document ids
    changed: frozenset[int] = frozenset()
    deleted: frozenset[int] = frozenset()
    tags: bool = False  # tag names, colours or tag counts
    organizations: bool = False  # organizations, places or their aliases
    attachments: frozenset[int] = frozenset()  # ids of documents whose files changed
    collections: bool = False  # collections, saved searches or their members
    searchable: bool = True  # False: saved, the index follows once it is free
    extra: dict = field(default_factory=dict, compare=False)  # e.g. {"attachment_ids": [...]}

    @property
    def documents(self) -> frozenset[int]:
        return self.created | self.changed | self.deleted

    @property
    def empty(self) -> bool:
        return not (self.documents or self.tags or self.organizations or self.attachments or self.collections)

    @property
    def document_id(self) -> int:
        """The one document this change created, else changed."""
        ids = self.created or self.changed
        if len(ids) != 1:
            raise ValueError(f"not one document: {sorted(ids)}")
        return next(iter(ids))

    def merged(self, other: ChangeSet) -> ChangeSet:
        deleted = (self.deleted | other.deleted) - other.created
        return ChangeSet(
            created=(self.created | other.created) - deleted,
            changed=(self.changed | other.changed) - deleted - self.created - other.created,
            deleted=deleted,
            tags=self.tags or other.tags,
            organizations=self.organizations or other.organizations,
            attachments=self.attachments | other.attachments,
            collections=self.collections or other.collections,
            searchable=self.searchable and other.searchable,
            extra={**self.extra, **other.extra},
        )

    def not_searchable_yet(self) -> ChangeSet:
        return replace(self, searchable=False)


def changes_of(logged) -> ChangeSet:
    """A ChangeSet from change-log rows (objects with ``document_id`` and
    ``action``) that another process wrote. What exactly changed in a
    document is not logged, so its tags and organizations count as changed."""
    by_action: dict[str, set[int]] = {}
    aliases = collections = False
    for row in logged:
        if row.document_id is None:
            aliases = aliases or row.action == ChangeAction.ALIASES
            collections = collections or row.action == ChangeAction.COLLECTIONS
        else:
            by_action.setdefault(row.action, set()).add(row.document_id)
    deleted = by_action.get(ChangeAction.DELETED, set())
    created = by_action.get(ChangeAction.CREATED, set()) - deleted
    changed = by_action.get(ChangeAction.CHANGED, set()) - deleted - created
    documents = bool(created or changed or deleted)
    return ChangeSet(
        created=frozenset(created),
        changed=frozenset(changed),
        deleted=frozenset(deleted),
        tags=documents,
        organizations=documents or aliases,
        attachments=frozenset(created | changed),
        # a document's change may be a membership; a deleted one leaves its collections
        collections=documents or collections,
    )
