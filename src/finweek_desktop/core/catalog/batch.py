"""Batch edit: one kind, date or session for many documents, and an
organization added to each with its role; one write and one undo step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..changes import ChangeSet
from ..dates import normalize_date
from ..models import DocumentOrganization, EventSession
from ..vocabulary import DocumentKind, OrganizationRole
from . import snapshots
from .common import NotFound, require_document
from .history import History
from .reference import Reference
from .writer import CatalogWriter

KEEP = object()  # a field the batch leaves as each document has it


@dataclass(frozen=True)
class BatchResult:
    documents: tuple[int, ...]  # the documents the batch changed
    changes: ChangeSet = field(default_factory=ChangeSet)


class BatchEdit:
    def __init__(self, writer: CatalogWriter, reference: Reference, history: History):
        self._writer = writer
        self._reference = reference
        self._history = history

    def edit(
        self,
        doc_ids: Iterable[int],
        *,
        kind: str | None = None,
        date: object = KEEP,
        session_id: object = KEEP,
        add_organizations: Sequence[tuple[str, str]] = (),
    ) -> BatchResult:
        """Set ``kind``, ``date`` (None or "" clears it) and ``session_id``
        (None takes the documents out of their session; a session sets its
        event on them too) on every document,
        and link each ``(organization name, role)``; fields not given stay.
        Everything or nothing is saved; undone as one step."""
        doc_ids = list(dict.fromkeys(doc_ids))
        if not doc_ids:
            raise ValueError("no documents to edit")
        fields: dict[str, object] = {}
        if kind is not None:
            fields["kind"] = DocumentKind.parse(kind).value
        if date is not KEEP:
            fields["date"] = normalize_date(date if isinstance(date, str) else None)
        if session_id is not KEEP:
            fields["session_id"] = session_id
        links = [(name.strip(), OrganizationRole.parse(role).value) for name, role in add_organizations]
        if any(not name for name, _role in links):
            raise ValueError("an organization needs a name")
        if not fields and not links:
            raise ValueError("nothing to change: give a kind, a date, a session or an organization")
        with self._writer.writing() as write:
            session = write.session
            if fields.get("session_id") is not None:
                chosen = session.get(EventSession, fields["session_id"])
                if chosen is None:
                    raise NotFound(f"no session with id {fields['session_id']}")
                fields["event_id"] = chosen.event_id  # a session is part of its event: the documents are too
            undo: list[dict] = []
            redo: list[dict] = []
            changed: list[int] = []
            for doc_id in doc_ids:
                document = require_document(session, doc_id)
                touched = False
                if fields:
                    before = snapshots.document_fields(session, doc_id, fields)
                    for name, value in fields.items():
                        setattr(document, name, value)
                    after = snapshots.document_fields(session, doc_id, fields)
                    if after != before:
                        step = {"op": "fields", "document_id": doc_id}
                        undo.append({**step, "fields": before})
                        redo.append({**step, "fields": after})
                        touched = True
                if links:
                    before_links = [[link.organization_id, link.role] for link in document.organization_links]
                    for name, role in links:
                        organization = self._reference.find_organization(name, session)
                        if organization is not None and (
                            session.get(DocumentOrganization, (doc_id, organization.id, role)) is not None
                        ):
                            continue  # linked in that role already
                        self._reference.link_organization(session, document, name, role)
                        session.flush()
                    after_links = [[link.organization_id, link.role] for link in document.organization_links]
                    if sorted(after_links) != sorted(before_links):
                        step = {"op": "organizations", "document_id": doc_id}
                        undo.append({**step, "links": before_links})
                        redo.append({**step, "links": after_links})
                        touched = True
                if touched:
                    changed.append(doc_id)
                    write.touched.add(doc_id)
            if changed:
                what = "1 document" if len(changed) == 1 else f"{len(changed)} documents"
                self._history.record(session, "batch-edit", f"Edit {what}", undo=undo, redo=redo)
        return BatchResult(tuple(changed), write.changes)
