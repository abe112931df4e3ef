"""Creating, editing, deleting and reading documents."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload

from ..attachments.records import status_line
from ..dates import normalize_date
from ..models import Attachment, Document, DocumentOrganization, EventSession, Organization, Tag, document_tags
from ..records import AttachmentInfo, DocumentDetail, DocumentSummary, NewDocument, OrganizationRef, TagInfo
from ..vocabulary import DocumentKind
from . import snapshots
from .common import (
    CHUNK_SIZE,
    EDITABLE_FIELDS,
    EVERYTHING,
    ROLE_RANK,
    DocumentFilter,
    NotFound,
    chunks,
    document_row,
    list_sort,
    require_document,
    required_title,
    role_order,
)
from .history import History
from .reference import Reference
from .tagging import Tags
from .trash import Trash
from .writer import CatalogWriter


class Documents:
    """Creating, editing, deleting (to the trash) and reading documents."""

    def __init__(self, writer: CatalogWriter, tags: Tags, reference: Reference, history: History, trash: Trash):
        self._writer = writer
        self._tags = tags
        self._reference = reference
        self._history = history
        self._trash = trash

    # -- documents -----------------------------------------------------------

    def create_document(self, new: NewDocument) -> DocumentDetail:
        with self._writer.writing() as (session, touched):
            doc_id = self.add(session, new).id
            touched.add(doc_id)
        return self.get_document(doc_id)

    def add(self, session: DbSession, new: NewDocument) -> Document:
        """A new document and its links in ``session``, flushed so it has an
        id; creating one with its files shares the files' transaction."""
        document = document_row(new)  # validates before anything is written
        session.add(document)
        for name in new.tags:
            document.tags.append(self._tags.get_or_create(session, name))
        for name, role in new.organizations:
            self._reference.link_organization(session, document, name, role)
        for name in new.places:
            document.places.append(self._reference.find_place(session, name))
        session.flush()
        return document

    def update_document(self, doc_id: int, **changes) -> DocumentDetail:
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"cannot edit {', '.join(sorted(unknown))}")
        with self._writer.writing() as (session, touched):
            document = require_document(session, doc_id)
            before = snapshots.document_fields(session, doc_id, changes)
            for name, value in changes.items():
                if name == "kind":
                    value = DocumentKind.parse(value).value
                elif name == "title":
                    value = required_title(value)
                elif name == "date":
                    value = normalize_date(value)
                elif name in ("subtitle", "language"):
                    value = value or None
                elif name == "session_id" and value is not None and session.get(EventSession, value) is None:
                    raise NotFound(f"no session with id {value}")
                setattr(document, name, value)
            after = snapshots.document_fields(session, doc_id, changes)
            if after != before:
                step = {"op": "fields", "document_id": doc_id}
                self._history.record_swap(session, "edit", f"Edit “{document.title}”", step, "fields", before, after)
            touched.add(doc_id)
        return self.get_document(doc_id)

    def delete_document(self, doc_id: int) -> DocumentDetail:
        """Move a document to the trash; returns what it was (for messages)."""
        return self.delete_documents([doc_id])[0]

    def delete_documents(self, doc_ids: Sequence[int]) -> list[DocumentDetail]:
        """Move documents, with their files, to the trash in one transaction;
        one undo step restores them all."""
        details = [self.get_document(doc_id) for doc_id in doc_ids]
        with self._writer.writing() as (session, touched):
            trash_ids = self._trash.put(session, doc_ids)
            what = f"“{details[0].title}”" if len(details) == 1 else f"{len(details)} documents"
            self._history.record(
                session,
                "delete",
                f"Delete {what}",
                undo=[{"op": "untrash", "trash_ids": trash_ids}],
                redo=[{"op": "trash", "document_ids": list(doc_ids)}],
            )
            touched.update(doc_ids)
        return details

    def set_organizations(self, doc_id: int, links: Sequence[tuple[str, str]]) -> DocumentDetail:
        with self._writer.writing() as (session, touched):
            document = require_document(session, doc_id)
            before = [[link.organization_id, link.role] for link in document.organization_links]
            document.organization_links.clear()
            session.flush()
            for name, role in links:
                self._reference.link_organization(session, document, name, role)
            session.flush()
            after = [[link.organization_id, link.role] for link in document.organization_links]
            if sorted(after) != sorted(before):
                description = f"Edit the organizations of “{document.title}”"
                step = {"op": "organizations", "document_id": doc_id}
                self._history.record_swap(session, "edit", description, step, "links", before, after)
            touched.add(doc_id)
        return self.get_document(doc_id)

    # -- reading documents -------------------------------------------------------

    def get_document(self, doc_id: int) -> DocumentDetail:
        with self._writer.read() as session:
            document = session.scalar(
                select(Document)
                .where(Document.id == doc_id)
                .options(
                    selectinload(Document.tags),
                    selectinload(Document.places),
                    selectinload(Document.attachments),
                    selectinload(Document.organization_links).selectinload(DocumentOrganization.organization),
                    selectinload(Document.session),
                    selectinload(Document.event),
                )
            )
            if document is None:
                raise NotFound(f"no document with id {doc_id}")
            tag_counts: dict[int, int] = dict(
                session.execute(
                    select(document_tags.c.tag_id, func.count())
                    .where(document_tags.c.tag_id.in_([t.id for t in document.tags]))
                    .group_by(document_tags.c.tag_id)
                ).all()
            )
            return DocumentDetail(
                id=document.id,
                kind=document.kind,
                title=document.title,
                subtitle=document.subtitle,
                date=document.date,
                language=document.language,
                summary=document.summary,
                notes=document.notes,
                source=document.source,
                event=document.event.name if document.event else None,
                session=document.session.name if document.session else None,
                session_id=document.session_id,
                organizations=tuple(
                    OrganizationRef(link.organization.id, link.organization.name, link.role)
                    for link in sorted(document.organization_links, key=role_order)
                ),
                tags=tuple(TagInfo(t.id, t.name, t.color, tag_counts.get(t.id, 0)) for t in document.tags),
                places=tuple(p.name for p in document.places),
                attachments=tuple(
                    AttachmentInfo(
                        a.id,
                        a.sha256,
                        a.original_name,
                        a.size,
                        a.mime_type,
                        a.added_at,
                        a.text_status,
                        status_line(a.text_status, a.text_source, a.text_message),
                        bool(a.text),
                    )
                    for a in document.attachments
                ),
                created_at=document.created_at,
                modified_at=document.modified_at,
            )

    def _filtered(self, stmt: Select, where: DocumentFilter) -> Select:
        if where.kind:
            stmt = stmt.where(Document.kind == DocumentKind.parse(where.kind).value)
        if where.tag:
            stmt = stmt.where(
                Document.id.in_(
                    select(document_tags.c.document_id)
                    .join(Tag, Tag.id == document_tags.c.tag_id)
                    .where(Tag.name_key == where.tag.strip().casefold())
                )
            )
        if where.session_id is not None:
            stmt = stmt.where(Document.session_id == where.session_id)
        if where.organization_id is not None:
            stmt = stmt.where(
                Document.id.in_(
                    select(DocumentOrganization.document_id).where(
                        DocumentOrganization.organization_id == where.organization_id
                    )
                )
            )
        if where.text:
            stmt = stmt.where(func.lower(Document.title).contains(where.text.strip().lower(), autoescape=True))
        return stmt

    def count_documents(self, where: DocumentFilter = EVERYTHING) -> int:
        with self._writer.read() as session:
            return session.scalar(self._filtered(select(func.count(Document.id)), where)) or 0

    def document_ids(self, where: DocumentFilter = EVERYTHING, sort: str = "date") -> list[int]:
        """All matching ids in order: cheap even for 50,000 documents."""
        stmt = self._filtered(select(Document.id), where).order_by(*list_sort(sort))
        with self._writer.read() as session:
            return list(session.scalars(stmt))

    def list_documents(
        self,
        where: DocumentFilter = EVERYTHING,
        sort: str = "date",
        offset: int = 0,
        limit: int | None = None,
    ) -> list[DocumentSummary]:
        stmt = self._filtered(select(Document.id), where).order_by(*list_sort(sort)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._writer.read() as session:
            ids = list(session.scalars(stmt))
        return self.summaries(ids)

    def summaries(self, ids: Sequence[int]) -> list[DocumentSummary]:
        """Table rows for ``ids``, in the given order (missing ids skipped).

        Each column comes from one set-based query, so a page of rows costs a
        handful of queries whatever its size.
        """
        if not ids:
            return []
        rows: dict[int, DocumentSummary] = {}
        with self._writer.read() as session:
            for chunk in chunks(ids, CHUNK_SIZE):
                attachment_counts = (
                    select(Attachment.document_id, func.count().label("n"))
                    .where(Attachment.document_id.in_(chunk))
                    .group_by(Attachment.document_id)
                    .subquery()
                )
                base = session.execute(
                    select(
                        Document.id,
                        Document.kind,
                        Document.title,
                        Document.date,
                        func.coalesce(attachment_counts.c.n, 0),
                    )
                    .outerjoin(attachment_counts, attachment_counts.c.document_id == Document.id)
                    .where(Document.id.in_(chunk))
                ).all()
                tags: dict[int, list[str]] = {}
                for doc_id, name in session.execute(
                    select(document_tags.c.document_id, Tag.name)
                    .join(Tag, Tag.id == document_tags.c.tag_id)
                    .where(document_tags.c.document_id.in_(chunk))
                    .order_by(Tag.name_key)
                ):
                    tags.setdefault(doc_id, []).append(name)
                orgs: dict[int, list[str]] = {}
                for doc_id, name in session.execute(
                    select(DocumentOrganization.document_id, Organization.name)
                    .join(Organization, Organization.id == DocumentOrganization.organization_id)
                    .where(DocumentOrganization.document_id.in_(chunk))
                    .order_by(ROLE_RANK, Organization.name)
                ):
                    names = orgs.setdefault(doc_id, [])
                    if name not in names:
                        names.append(name)
                for doc_id, kind, title, date, n_attachments in base:
                    rows[doc_id] = DocumentSummary(
                        doc_id,
                        kind,
                        title,
                        date,
                        tuple(orgs.get(doc_id, ())),
                        tuple(tags.get(doc_id, ())),
                        n_attachments,
                    )
        return [rows[i] for i in ids if i in rows]
