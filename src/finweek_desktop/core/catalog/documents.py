"""Creating, editing, deleting and reading documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..attachments.records import status_line
from ..dates import normalize_date
from ..models import Attachment, Document, DocumentOrganization, EventSession, Organization, Tag, document_tags
from ..records import (
    CITATION_FIELDS,
    AttachmentInfo,
    DocumentDetail,
    DocumentSummary,
    NewDocument,
    OrganizationRef,
    PersonName,
    TagInfo,
)
from ..vocabulary import DocumentKind
from . import snapshots
from .common import (
    CHUNK_SIZE,
    EDITABLE_FIELDS,
    EVERYTHING,
    ROLE_RANK,
    ChangedMeanwhile,
    DocumentFilter,
    NotFound,
    chunks,
    clean_citation_field,
    document_row,
    list_sort,
    person_rows,
    require_document,
    required_title,
    role_order,
)
from .history import History
from .reference import Reference
from .tagging import Tags
from .trash import Trash
from .writer import CatalogWriter, retried


class Documents:
    """Creating, editing, deleting (to the trash) and reading documents."""

    def __init__(self, writer: CatalogWriter, tags: Tags, reference: Reference, history: History, trash: Trash):
        self._writer = writer
        self._tags = tags
        self._reference = reference
        self._history = history
        self._trash = trash

    # -- documents -----------------------------------------------------------

    @retried
    def create_document(self, new: NewDocument) -> DocumentDetail:
        with self._writer.writing() as write:
            doc_id = self.add(write.session, new).id
            write.touched.add(doc_id)
        return replace(self.get_document(doc_id), changes=write.changes)

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

    def update_document(self, doc_id: int, expected_version: int | None = None, **changes) -> DocumentDetail:
        """Edit fields. ``expected_version``: the version the edit started from
        (``DocumentDetail.version``); if someone saved the document since,
        ChangedMeanwhile says so with both versions and nothing is saved."""
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"cannot edit {', '.join(sorted(unknown))}")
        try:
            return self._update_document(doc_id, expected_version, changes)
        except StaleDataError:  # saved by another desktop between our read and our write
            raise self._changed_meanwhile(doc_id, expected_version, changes) from None

    def _changed_meanwhile(self, doc_id: int, expected_version: int | None, changes: dict) -> ChangedMeanwhile:
        current = self.get_document(doc_id)
        theirs = {name: getattr(current, name) for name in changes}
        your_version = expected_version if expected_version is not None else current.version - 1
        return ChangedMeanwhile(doc_id, current.title, your_version, current.version, dict(changes), theirs)

    def _update_document(self, doc_id: int, expected_version: int | None, changes: dict) -> DocumentDetail:
        with self._writer.writing() as write:
            session = write.session
            document = require_document(session, doc_id)
            if expected_version is not None and document.version != expected_version:
                raise self._changed_meanwhile(doc_id, expected_version, changes)
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
                elif name in CITATION_FIELDS:
                    value = clean_citation_field(name, value)
                elif name == "session_id" and value is not None and session.get(EventSession, value) is None:
                    raise NotFound(f"no session with id {value}")
                setattr(document, name, value)
            after = snapshots.document_fields(session, doc_id, changes)
            if after != before:
                step = {"op": "fields", "document_id": doc_id}
                self._history.record_swap(session, "edit", f"Edit “{document.title}”", step, "fields", before, after)
            write.touched.add(doc_id)
        return replace(self.get_document(doc_id), changes=write.changes)

    def delete_document(self, doc_id: int) -> DocumentDetail:
        """Move a document to the trash; returns what it was (for messages)."""
        return self.delete_documents([doc_id])[0]

    @retried
    def delete_documents(self, doc_ids: Sequence[int]) -> list[DocumentDetail]:
        """Move documents, with their files, to the trash in one transaction;
        one undo step restores them all. Returns what they were, each with
        the write's ``changes``."""
        details = [self.get_document(doc_id) for doc_id in doc_ids]
        with self._writer.writing() as write:
            session = write.session
            trash_ids = self._trash.put(session, doc_ids)
            what = f"“{details[0].title}”" if len(details) == 1 else f"{len(details)} documents"
            self._history.record(
                session,
                "delete",
                f"Delete {what}",
                undo=[{"op": "untrash", "trash_ids": trash_ids}],
                redo=[{"op": "trash", "document_ids": list(doc_ids)}],
            )
            write.touched.update(doc_ids)
        return [replace(detail, changes=write.changes) for detail in details]

    @retried
    def set_organizations(self, doc_id: int, links: Sequence[tuple[str, str]]) -> DocumentDetail:
        with self._writer.writing() as write:
            session = write.session
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
            write.touched.add(doc_id)
        return replace(self.get_document(doc_id), changes=write.changes)

    def set_persons(self, doc_id: int, persons: Sequence[PersonName]) -> DocumentDetail:
        """Replace the document's authors and editors (in this order); undoable."""
        rows = person_rows(persons)  # validates before anything is written
        with self._writer.writing() as write:
            session = write.session
            document = require_document(session, doc_id)
            before = snapshots.person_snapshot(document)
            document.persons.clear()
            session.flush()
            document.persons.extend(rows)
            session.flush()
            after = snapshots.person_snapshot(document)
            if after != before:
                description = f"Edit the authors of “{document.title}”"
                step = {"op": "persons", "document_id": doc_id}
                self._history.record_swap(session, "edit", description, step, "persons", before, after)
            write.touched.add(doc_id)
        return replace(self.get_document(doc_id), changes=write.changes)

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
                    selectinload(Document.persons),
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
                **{name: getattr(document, name) for name in CITATION_FIELDS},
                persons=tuple(PersonName(p.family, p.given, p.literal, p.role) for p in document.persons),
                version=document.version,
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
