"""The catalog service: every write goes through here.

It keeps SQLite (or any SQLAlchemy database) and the Whoosh index
consistent: each write commits to the database, then updates the index for
the documents it touched. The ids are put in the index journal before the
commit and taken out after the index update, so a crash in between is
repaired at the next start. Reads hand out plain dataclasses from
``records``, never ORM objects.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine, Select, delete, event, func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload, sessionmaker

from .attachments.extraction import ExtractedText, TextStatus, extract_text
from .attachments.filetypes import is_text_like
from .attachments.ingest import PreparedFile, check_sources, prepare
from .attachments.previews import PreviewError, Previews
from .attachments.records import AlreadyAttached, AttachmentDetail, DuplicateAttachment, Holder
from .attachments.store import AttachmentStore
from .dates import normalize_date
from .journal import IndexJournal, JournalDamaged
from .models import (
    Attachment,
    Document,
    DocumentOrganization,
    Event,
    Organization,
    OrganizationAlias,
    Place,
    Tag,
    document_tags,
    utcnow,
)
from .models import Session as EventSession
from .records import (
    AttachmentInfo,
    DocumentDetail,
    DocumentSummary,
    NewDocument,
    OrganizationInfo,
    OrganizationRef,
    SessionInfo,
    TagInfo,
)
from .search.index import SearchIndex, SearchResults
from .search.schema import IndexedDocument
from .vocabulary import DocumentKind, OrganizationRole

log = logging.getLogger(__name__)

EDITABLE_FIELDS = ("kind", "title", "subtitle", "date", "language", "summary", "notes", "source")
LIST_SORTS = {
    "date": (Document.date.desc().nulls_last(), Document.id.desc()),
    "date-asc": (Document.date.asc().nulls_last(), Document.id.asc()),
    "title": (func.lower(Document.title), Document.id),
    "kind": (Document.kind, func.lower(Document.title)),
    "id": (Document.id,),
    "modified": (Document.modified_at.desc(), Document.id.desc()),
}
_CHUNK = 500


class NotFound(LookupError):
    """No such document, tag, ...; the message names what is missing."""


@dataclass(frozen=True)
class DocumentFilter:
    """What a browsing view shows; empty means everything."""

    kind: str | None = None
    tag: str | None = None
    session_id: int | None = None
    organization_id: int | None = None
    text: str | None = None  # a substring of the title (the table's quick filter)


@dataclass(frozen=True)
class CheckReport:
    missing_from_index: tuple[int, ...] = ()
    stale_in_index: tuple[int, ...] = ()
    orphans_in_index: tuple[int, ...] = ()
    problems: tuple[str, ...] = field(default=())
    # The attachment store: files no row refers to (hashes), rows whose file
    # is gone (attachment ids), copies a crash left in tmp/, and attachments
    # whose text was never extracted (from before migration 0002).
    unreferenced_files: tuple[str, ...] = ()
    missing_files: tuple[int, ...] = ()
    temp_files: tuple[str, ...] = ()
    pending_text: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return not (
            self.missing_from_index or self.stale_in_index or self.orphans_in_index or self.problems
            or self.unreferenced_files or self.missing_files or self.temp_files or self.pending_text
        )


class CatalogService:
    def __init__(
        self, engine: Engine, index: SearchIndex, journal: IndexJournal, store: AttachmentStore | None = None
    ):
        self.engine = engine
        self.index = index
        self.journal = journal
        self.store = store
        self.previews = Previews(store) if store is not None else None
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        if store is not None:
            # However an attachment row goes (detach, a deleted document's
            # cascade), its file is released once the deletion is committed.
            event.listen(self._sessions, "after_flush", _note_deleted_files)
            event.listen(self._sessions, "after_commit", self._release_noted_files)
            event.listen(self._sessions, "after_rollback", lambda s: s.info.pop(_RELEASED, None))

    # -- the write path ------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[tuple[DbSession, set[int]]]:
        """A transaction whose touched document ids are re-indexed after commit."""
        touched: set[int] = set()
        with self._sessions.begin() as session:
            yield session, touched
            session.flush()
            self.journal.mark(touched)
        self.sync_index(touched)

    def sync_index(self, ids: Iterable[int]) -> None:
        """Make the index entries of ``ids`` match the database."""
        ids = set(ids)
        if not ids:
            return
        documents = list(self._indexed_documents(ids))
        present = {d.id for d in documents}
        gone = ids - present
        if documents:
            self.index.upsert(documents)
        if gone:
            self.index.delete(gone)
        self.journal.clear(ids)

    def recover(self) -> int:
        """Re-index what a crash left between database and index; returns how many."""
        try:
            pending = self.journal.pending()
        except JournalDamaged:
            log.warning("index journal unreadable; repairing the whole index")
            report = self.check()
            self.repair(report)
            self.journal.reset()
            return len(report.missing_from_index) + len(report.stale_in_index) + len(report.orphans_in_index)
        if pending:
            log.info("re-indexing %d documents left pending by an interrupted write", len(pending))
            self.sync_index(pending)
        return len(pending)

    # -- documents -----------------------------------------------------------

    def create_document(self, new: NewDocument) -> DocumentDetail:
        kind = DocumentKind.parse(new.kind).value
        title = _required_title(new.title)
        with self.writing() as (session, touched):
            document = Document(
                kind=kind,
                title=title,
                subtitle=(new.subtitle or None),
                date=normalize_date(new.date),
                language=new.language or None,
                summary=new.summary,
                notes=new.notes,
                source=new.source,
                session_id=new.session_id,
                event_id=new.event_id,
            )
            session.add(document)
            for name in new.tags:
                document.tags.append(self._get_or_create_tag(session, name))
            for name, role in new.organizations:
                self._link_organization(session, document, name, role)
            for name in new.places:
                document.places.append(self._find_place(session, name))
            session.flush()
            touched.add(document.id)
            doc_id = document.id
        return self.get_document(doc_id)

    def update_document(self, doc_id: int, **changes) -> DocumentDetail:
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"cannot edit {', '.join(sorted(unknown))}")
        with self.writing() as (session, touched):
            document = self._document(session, doc_id)
            for name, value in changes.items():
                if name == "kind":
                    value = DocumentKind.parse(value).value
                elif name == "title":
                    value = _required_title(value)
                elif name == "date":
                    value = normalize_date(value)
                elif name in ("subtitle", "language"):
                    value = value or None
                setattr(document, name, value)
            touched.add(doc_id)
        return self.get_document(doc_id)

    def delete_document(self, doc_id: int) -> DocumentDetail:
        """Delete a document; returns what it was (for undo and messages)."""
        detail = self.get_document(doc_id)
        with self.writing() as (session, touched):
            session.delete(self._document(session, doc_id))
            touched.add(doc_id)
        return detail

    def set_organizations(self, doc_id: int, links: Sequence[tuple[str, str]]) -> DocumentDetail:
        with self.writing() as (session, touched):
            document = self._document(session, doc_id)
            document.organization_links.clear()
            session.flush()
            for name, role in links:
                self._link_organization(session, document, name, role)
            touched.add(doc_id)
        return self.get_document(doc_id)

    # -- tags ----------------------------------------------------------------

    def add_tag(self, doc_ids: Iterable[int], name: str, color: str | None = None) -> TagInfo:
        doc_ids = list(doc_ids)
        with self.writing() as (session, touched):
            tag = self._get_or_create_tag(session, name, color)
            for doc_id in doc_ids:
                document = self._document(session, doc_id)
                if tag not in document.tags:
                    document.tags.append(tag)
                    document.modified_at = utcnow()
                    touched.add(doc_id)
            session.flush()
            tag_id = tag.id
        return self._tag_info(tag_id)

    def remove_tag(self, doc_ids: Iterable[int], name: str) -> None:
        doc_ids = list(doc_ids)
        with self.writing() as (session, touched):
            tag = self._tag_by_name(session, name)
            for doc_id in doc_ids:
                document = self._document(session, doc_id)
                if tag in document.tags:
                    document.tags.remove(tag)
                    document.modified_at = utcnow()
                    touched.add(doc_id)

    def rename_tag(self, old: str, new: str) -> TagInfo:
        """Rename; if ``new`` exists already, the two tags are merged."""
        new_name = _tag_name(new)
        with self.writing() as (session, touched):
            tag = self._tag_by_name(session, old)
            touched.update(self._tagged_ids(session, tag.id))
            existing = session.scalar(select(Tag).where(Tag.name_key == new_name.casefold()))
            if existing is not None and existing.id != tag.id:
                self._merge_into(session, source=tag, target=existing)
                target_id = existing.id
            else:
                tag.name, tag.name_key = new_name, new_name.casefold()
                target_id = tag.id
        return self._tag_info(target_id)

    def merge_tags(self, sources: Iterable[str], target: str) -> TagInfo:
        with self.writing() as (session, touched):
            target_tag = self._get_or_create_tag(session, target)
            session.flush()
            for name in sources:
                tag = self._tag_by_name(session, name)
                if tag.id == target_tag.id:
                    continue
                touched.update(self._tagged_ids(session, tag.id))
                self._merge_into(session, source=tag, target=target_tag)
            target_id = target_tag.id
        return self._tag_info(target_id)

    def delete_tag(self, name: str) -> TagInfo:
        info = None
        with self.writing() as (session, touched):
            tag = self._tag_by_name(session, name)
            info = self._tag_info(tag.id, session)
            touched.update(self._tagged_ids(session, tag.id))
            session.delete(tag)
        return info

    def set_tag_color(self, name: str, color: str | None) -> TagInfo:
        with self._sessions.begin() as session:
            tag = self._tag_by_name(session, name)
            tag.color = _color(color)
            tag_id = tag.id
        return self._tag_info(tag_id)

    def _merge_into(self, session: DbSession, source: Tag, target: Tag) -> None:
        already = set(self._tagged_ids(session, target.id))
        for doc_id in self._tagged_ids(session, source.id):
            if doc_id not in already:
                session.execute(document_tags.insert().values(document_id=doc_id, tag_id=target.id))
        session.execute(delete(document_tags).where(document_tags.c.tag_id == source.id))
        if target.color is None:
            target.color = source.color
        session.delete(source)

    @staticmethod
    def _tagged_ids(session: DbSession, tag_id: int) -> list[int]:
        return list(session.scalars(select(document_tags.c.document_id).where(document_tags.c.tag_id == tag_id)))

    def _get_or_create_tag(self, session: DbSession, name: str, color: str | None = None) -> Tag:
        name = _tag_name(name)
        tag = session.scalar(select(Tag).where(Tag.name_key == name.casefold()))
        if tag is None:
            tag = Tag(name=name, name_key=name.casefold(), color=_color(color))
            session.add(tag)
        elif color:
            tag.color = _color(color)
        return tag

    def _tag_by_name(self, session: DbSession, name: str) -> Tag:
        tag = session.scalar(select(Tag).where(Tag.name_key == name.strip().casefold()))
        if tag is None:
            raise NotFound(f"no tag named {name!r}")
        return tag

    def _tag_info(self, tag_id: int, session: DbSession | None = None) -> TagInfo:
        with self._read(session) as s:
            tag = s.get(Tag, tag_id)
            count = s.scalar(select(func.count()).select_from(document_tags).where(document_tags.c.tag_id == tag_id))
            return TagInfo(tag.id, tag.name, tag.color, count or 0)

    def tags(self) -> list[TagInfo]:
        """Every tag with its document count, by name."""
        counts = (
            select(document_tags.c.tag_id, func.count().label("n"))
            .group_by(document_tags.c.tag_id)
            .subquery()
        )
        stmt = (
            select(Tag.id, Tag.name, Tag.color, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.tag_id == Tag.id)
            .order_by(Tag.name_key)
        )
        with self._read() as session:
            return [TagInfo(*row) for row in session.execute(stmt)]

    # -- organizations, sessions, event -----------------------------------------

    def _link_organization(self, session: DbSession, document: Document, name: str, role: str) -> None:
        role = OrganizationRole.parse(role).value
        organization = self.find_organization(name, session) or Organization(name=name.strip())
        if organization.id is None:
            session.add(organization)
        document.organization_links.append(DocumentOrganization(organization=organization, role=role))

    def find_organization(self, name: str, session: DbSession | None = None) -> Organization | None:
        """By name or alias, ignoring case."""
        key = name.strip().casefold()
        with self._read(session) as s:
            org = s.scalar(select(Organization).where(func.lower(Organization.name) == key))
            if org is None:
                org = s.scalar(
                    select(Organization).join(OrganizationAlias).where(func.lower(OrganizationAlias.alias) == key)
                )
            return org

    def _find_place(self, session: DbSession, name: str) -> Place:
        place = session.scalar(select(Place).where(func.lower(Place.name) == name.strip().casefold()))
        if place is None:
            raise NotFound(f"no place named {name!r}")
        return place

    def organizations(self) -> list[OrganizationInfo]:
        counts = (
            select(DocumentOrganization.organization_id, func.count(func.distinct(DocumentOrganization.document_id)).label("n"))
            .group_by(DocumentOrganization.organization_id)
            .subquery()
        )
        stmt = (
            select(Organization, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.organization_id == Organization.id)
            .options(selectinload(Organization.aliases))
            .order_by(func.lower(Organization.name))
        )
        with self._read() as session:
            return [
                OrganizationInfo(o.id, o.name, tuple(a.alias for a in o.aliases), o.description, n)
                for o, n in session.execute(stmt)
            ]

    def sessions(self) -> list[SessionInfo]:
        counts = (
            select(Document.session_id, func.count().label("n")).group_by(Document.session_id).subquery()
        )
        stmt = (
            select(EventSession, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.session_id == EventSession.id)
            .order_by(EventSession.position, EventSession.id)
        )
        with self._read() as session:
            return [
                SessionInfo(s.id, s.name, s.session_type, tuple(t for t in s.topics.splitlines() if t), s.description, n)
                for s, n in session.execute(stmt)
            ]

    def events(self) -> list[dict]:
        with self._read() as session:
            events = session.scalars(
                select(Event).options(selectinload(Event.organizations)).order_by(Event.id)
            ).all()
            return [
                {
                    "id": e.id,
                    "name": e.name,
                    "edition": e.edition,
                    "place": e.place,
                    "dates": e.dates_text,
                    "duration_days": e.duration_days,
                    "description": e.description,
                    "organizations": [
                        {"name": link.organization.name, "role": link.role} for link in e.organizations
                    ],
                }
                for e in events
            ]

    def places(self) -> list[dict]:
        with self._read() as session:
            return [
                {
                    "id": p.id,
                    "name": p.name,
                    "type": p.place_type,
                    "aliases": [a for a in p.aliases.splitlines() if a],
                    "opened_year": p.opened_year,
                    "area_m2": p.area_m2,
                    "description": p.description,
                }
                for p in session.scalars(select(Place).order_by(Place.id))
            ]

    # -- reading documents -------------------------------------------------------

    @contextmanager
    def _read(self, session: DbSession | None = None) -> Iterator[DbSession]:
        if session is not None:
            yield session
            return
        with self._sessions() as fresh:
            yield fresh

    def _document(self, session: DbSession, doc_id: int) -> Document:
        document = session.get(Document, doc_id)
        if document is None:
            raise NotFound(f"no document with id {doc_id}")
        return document

    def get_document(self, doc_id: int) -> DocumentDetail:
        with self._read() as session:
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
            tag_counts = dict(
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
                    for link in sorted(document.organization_links, key=_role_order)
                ),
                tags=tuple(TagInfo(t.id, t.name, t.color, tag_counts.get(t.id, 0)) for t in document.tags),
                places=tuple(p.name for p in document.places),
                attachments=tuple(
                    AttachmentInfo(a.id, a.sha256, a.original_name, a.size, a.mime_type, a.added_at)
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

    def count_documents(self, where: DocumentFilter = DocumentFilter()) -> int:
        with self._read() as session:
            return session.scalar(self._filtered(select(func.count(Document.id)), where)) or 0

    def document_ids(self, where: DocumentFilter = DocumentFilter(), sort: str = "date") -> list[int]:
        """All matching ids in order: cheap even for 50,000 documents."""
        stmt = self._filtered(select(Document.id), where).order_by(*_list_sort(sort))
        with self._read() as session:
            return list(session.scalars(stmt))

    def list_documents(
        self,
        where: DocumentFilter = DocumentFilter(),
        sort: str = "date",
        offset: int = 0,
        limit: int | None = None,
    ) -> list[DocumentSummary]:
        stmt = self._filtered(select(Document.id), where).order_by(*_list_sort(sort)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as session:
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
        with self._read() as session:
            for chunk in _chunks(ids, _CHUNK):
                attachment_counts = (
                    select(Attachment.document_id, func.count().label("n"))
                    .where(Attachment.document_id.in_(chunk))
                    .group_by(Attachment.document_id)
                    .subquery()
                )
                base = session.execute(
                    select(Document.id, Document.kind, Document.title, Document.date, func.coalesce(attachment_counts.c.n, 0))
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
                    .order_by(Organization.name)
                ):
                    names = orgs.setdefault(doc_id, [])
                    if name not in names:
                        names.append(name)
                for doc_id, kind, title, date, n_attachments in base:
                    rows[doc_id] = DocumentSummary(
                        doc_id, kind, title, date, tuple(orgs.get(doc_id, ())), tuple(tags.get(doc_id, ())), n_attachments
                    )
        return [rows[i] for i in ids if i in rows]

    # -- search ------------------------------------------------------------------

    def search(self, text: str, **options) -> SearchResults:
        return self.index.search(text, **options)

    # -- index maintenance ---------------------------------------------------

    def _indexed_documents(self, ids: Iterable[int] | None = None) -> Iterator[IndexedDocument]:
        """IndexedDocuments from the database, in chunks to bound memory."""
        with self._read() as session:
            all_ids = list(ids) if ids is not None else list(session.scalars(select(Document.id).order_by(Document.id)))
            for chunk in _chunks(all_ids, _CHUNK):
                documents = session.scalars(
                    select(Document)
                    .where(Document.id.in_(chunk))
                    .options(
                        selectinload(Document.tags),
                        selectinload(Document.places),
                        selectinload(Document.attachments),
                        selectinload(Document.session),
                        selectinload(Document.organization_links)
                        .selectinload(DocumentOrganization.organization)
                        .selectinload(Organization.aliases),
                    )
                ).all()
                for document in documents:
                    yield _to_indexed(document)
                session.expunge_all()

    def reindex(self, progress: Callable[[int, int | None], None] | None = None) -> int:
        """Rebuild the whole index from the database."""
        try:
            pending = self.journal.pending()
        except JournalDamaged:
            pending = None
        total = self.count_documents()
        count = self.index.rebuild(self._indexed_documents(), total=total, progress=progress)
        # Only what was pending before the rebuild read the database is done:
        # ids another process marks meanwhile stay for their own update.
        if pending is None:
            self.journal.reset()
        else:
            self.journal.clear(pending)
        return count

    def check(self) -> CheckReport:
        """Compare the database with the index, document by document."""
        in_index = self.index.fingerprints()
        missing, stale = [], []
        seen = set()
        for document in self._indexed_documents():
            seen.add(document.id)
            fingerprint = in_index.get(document.id)
            if fingerprint is None:
                missing.append(document.id)
            elif fingerprint != document.fingerprint():
                stale.append(document.id)
        orphans = sorted(set(in_index) - seen)
        report = CheckReport(tuple(missing), tuple(stale), tuple(orphans))
        return self._check_store(report) if self.store is not None else report

    def repair(self, report: CheckReport | None = None) -> CheckReport:
        report = report or self.check()
        self.sync_index(set(report.missing_from_index) | set(report.stale_in_index) | set(report.orphans_in_index))
        if self.store is not None:
            self._repair_store(report)
        return self.check()

    # -- attachments ---------------------------------------------------------------
    # Files are staged and read before a transaction starts; a file becomes
    # live in the store before its row is committed; the row goes before the
    # file (see _release_noted_files). So a crash leaves a whole attachment or
    # nothing, plus at worst a file that `check` reports as unreferenced.

    def attach_files(
        self, doc_id: int, paths: Sequence[str | Path], *, allow_duplicate: bool = False, sandbox: bool = True
    ) -> list[AttachmentDetail]:
        """Attach files to a document, all or none.

        Raises DuplicateAttachment when another document holds the same
        content (call again with ``allow_duplicate=True`` to link it anyway)
        and AlreadyAttached when this document does. ``sandbox=False`` parses
        in this process: only for files shipped with the application.
        """
        return self.attach_many({doc_id: paths}, allow_duplicate=allow_duplicate, sandbox=sandbox)

    def attach_many(
        self, files: dict[int, Sequence[str | Path]], *, allow_duplicate: bool = False, sandbox: bool = True
    ) -> list[AttachmentDetail]:
        """``attach_files`` for several documents in one transaction."""
        store = self._require_store()
        for doc_id in files:
            self.get_document(doc_id)  # NotFound before any copying
        with ExitStack() as stack:
            batch = {}
            for doc_id, paths in files.items():
                batch[doc_id] = prepare(store, [Path(p) for p in paths], stack, self._known_text, sandbox)
                self._refuse_duplicates(doc_id, batch[doc_id], allow_duplicate)
            ids = self._commit_prepared(batch)
        return [self.attachment(i) for i in ids]

    def create_document_with_files(
        self, new: NewDocument, paths: Sequence[str | Path], *, allow_duplicate: bool = False, sandbox: bool = True
    ) -> DocumentDetail:
        """Create a document and attach files to it; an empty title is taken
        from the first file's metadata or first heading, else its name."""
        store = self._require_store()
        DocumentKind.parse(new.kind)  # a bad kind fails before any copying
        with ExitStack() as stack:
            prepared = prepare(store, [Path(p) for p in paths], stack, self._known_text, sandbox)
            self._refuse_duplicates(None, prepared, allow_duplicate)
            detail = self.create_document(replace(new, title=(new.title or "").strip() or _title_from(prepared)))
            try:
                self._commit_prepared({detail.id: prepared})
            except BaseException:
                self.delete_document(detail.id)
                raise
        return self.get_document(detail.id)

    def detach(self, doc_id: int, attachment_id: int) -> AttachmentDetail:
        """Remove an attachment; its file goes when nothing else refers to it."""
        before = self.attachment(attachment_id)
        if before.document_id != doc_id:
            raise NotFound(f"document {doc_id} has no attachment {attachment_id}")
        with self.writing() as (session, touched):
            session.delete(session.get(Attachment, attachment_id))
            self._document(session, doc_id).modified_at = utcnow()
            touched.add(doc_id)
        return before

    def attachment(self, attachment_id: int) -> AttachmentDetail:
        store = self._require_store()
        with self._read() as session:
            row = session.get(Attachment, attachment_id)
            if row is None:
                raise NotFound(f"no attachment with id {attachment_id}")
            return _detail(row, store)

    def attachments(self, doc_id: int) -> list[AttachmentDetail]:
        store = self._require_store()
        with self._read() as session:
            document = self._document(session, doc_id)
            return [_detail(a, store) for a in document.attachments]

    def attachment_text(self, attachment_id: int) -> str:
        """The text extracted from an attachment ("" when there is none)."""
        with self._read() as session:
            row = session.get(Attachment, attachment_id)
            if row is None:
                raise NotFound(f"no attachment with id {attachment_id}")
            return row.text

    def holders_of(self, path: str | Path) -> list[Holder]:
        """The documents that already hold the content of the file at ``path``."""
        (path,) = check_sources([Path(path)])
        return self._holders(_file_sha256(path))

    def thumbnail(self, attachment_id: int, size: int = 256) -> Path:
        """A cached PNG thumbnail (images and PDFs); raises PreviewError otherwise."""
        a = self.attachment(attachment_id)
        return self.previews.thumbnail(a.sha256, a.mime_type, size)

    def render_page(self, attachment_id: int, page: int = 0, scale: float = 1.5) -> bytes:
        """One page of a PDF attachment as PNG bytes."""
        a = self.attachment(attachment_id)
        if a.mime_type != "application/pdf":
            raise PreviewError(f"{a.original_name} is not a PDF")
        return self.previews.render_page(a.sha256, page, scale)

    def page_count(self, attachment_id: int) -> int:
        return self.previews.page_count(self.attachment(attachment_id).sha256)

    def text_preview(self, attachment_id: int) -> str:
        """Text to show for an attachment: the file itself for text files,
        else what was extracted, else why nothing was."""
        a = self.attachment(attachment_id)
        if is_text_like(a.mime_type):
            return self.previews.text(a.sha256)
        return self.attachment_text(attachment_id) or a.text_message

    def _require_store(self) -> AttachmentStore:
        if self.store is None:
            raise RuntimeError("this catalog was opened without an attachment store")
        return self.store

    def _known_text(self, sha256: str) -> ExtractedText | None:
        with self._read() as session:
            row = session.scalar(
                select(Attachment)
                .where(Attachment.sha256 == sha256, Attachment.text_status != TextStatus.PENDING.value)
                .limit(1)
            )
            if row is None:
                return None
            return ExtractedText(TextStatus(row.text_status), row.text, None, row.text_message)

    def _holders(self, sha256: str) -> list[Holder]:
        with self._read() as session:
            rows = session.execute(
                select(Attachment.document_id, Document.title, Attachment.id, Attachment.original_name)
                .join(Document, Document.id == Attachment.document_id)
                .where(Attachment.sha256 == sha256)
                .order_by(Attachment.id)
            ).all()
        return [Holder(*row) for row in rows]

    def _refuse_duplicates(self, doc_id: int | None, prepared: Sequence[PreparedFile], allow: bool) -> None:
        seen: dict[str, str] = {}
        for p in prepared:
            if p.staged.sha256 in seen:
                raise AlreadyAttached(f"{p.name} has the same content as {seen[p.staged.sha256]}: give it once")
            seen[p.staged.sha256] = p.name
            holders = self._holders(p.staged.sha256)
            mine = [h for h in holders if h.document_id == doc_id]
            if mine:
                raise AlreadyAttached(
                    f"{p.name} is already attached to document {doc_id} as [{mine[0].attachment_id}] {mine[0].original_name}"
                )
            if holders and not allow:
                raise DuplicateAttachment(p.name, tuple(holders))

    def _commit_prepared(self, batch: dict[int, Sequence[PreparedFile]]) -> list[int]:
        store = self._require_store()
        everything = [p for prepared in batch.values() for p in prepared]
        with store.lock:
            for p in everything:
                p.staged.commit()
            try:
                with self.writing() as (session, touched):
                    rows = []
                    for doc_id, prepared in batch.items():
                        document = self._document(session, doc_id)
                        added = [
                            Attachment(
                                sha256=p.staged.sha256,
                                original_name=p.name[:500],
                                size=p.staged.size,
                                mime_type=p.mime,
                                text=p.extracted.text,
                                text_status=p.extracted.status.value,
                                text_message=p.extracted.message,
                            )
                            for p in prepared
                        ]
                        document.attachments.extend(added)
                        document.modified_at = utcnow()
                        rows.extend(added)
                        touched.add(doc_id)
                    session.flush()
                    return [row.id for row in rows]
            except BaseException:
                # The rows did not commit: files only they would use must go.
                self._release_files({p.staged.sha256 for p in everything})
                raise

    def _release_noted_files(self, session: DbSession) -> None:
        released = session.info.pop(_RELEASED, None)
        if released:
            self._release_files(released)

    def _release_files(self, hashes: Iterable[str]) -> None:
        """Delete the stored files of ``hashes`` that no row refers to any more."""
        store = self._require_store()
        with store.lock, self.engine.connect() as connection:
            for sha256 in hashes:
                count = connection.scalar(select(func.count()).where(Attachment.sha256 == sha256))
                if not count:
                    store.delete(sha256)

    def _check_store(self, report: CheckReport) -> CheckReport:
        store = self._require_store()
        with self._read() as session:
            rows = session.execute(select(Attachment.id, Attachment.sha256, Attachment.text_status)).all()
        stored = set(store.hashes())
        referenced = {sha for _, sha, _ in rows}
        return replace(
            report,
            unreferenced_files=tuple(sorted(stored - referenced)),
            missing_files=tuple(i for i, sha, _ in rows if sha not in stored),
            temp_files=tuple(str(p) for p in store.temp_files()),
            pending_text=tuple(i for i, sha, status in rows if status == TextStatus.PENDING.value and sha in stored),
        )

    def _repair_store(self, report: CheckReport) -> None:
        """Fix what can be fixed; rows whose file is gone stay, for the user to
        re-attach the file or detach them (deleting them would lose the record)."""
        store = self._require_store()
        self._release_files(report.unreferenced_files)
        for temp in report.temp_files:
            Path(temp).unlink(missing_ok=True)
        for attachment_id in report.pending_text:
            detail = self.attachment(attachment_id)
            extracted = extract_text(store.path_for(detail.sha256), detail.mime_type)
            with self.writing() as (session, touched):
                row = session.get(Attachment, attachment_id)
                row.text, row.text_status, row.text_message = (
                    extracted.text, extracted.status.value, extracted.message,
                )
                touched.add(row.document_id)


def _to_indexed(document: Document) -> IndexedDocument:
    organization_names: list[str] = []
    for link in document.organization_links:
        org = link.organization
        for name in (org.name, *(a.alias for a in org.aliases)):
            if name not in organization_names:
                organization_names.append(name)
    places: list[str] = []
    for place in document.places:
        places.extend([place.name, *(a for a in place.aliases.splitlines() if a)])
    return IndexedDocument(
        id=document.id,
        kind=document.kind,
        title=document.title,
        subtitle=document.subtitle or "",
        summary=document.summary or "",
        notes=document.notes or "",
        organizations=tuple(organization_names),
        tags=tuple(t.name for t in document.tags),
        session=document.session.name if document.session else "",
        places=tuple(places),
        language=document.language or "",
        date=document.date,
        content="\n\n".join(a.text for a in document.attachments if a.text),
    )


_RELEASED = "finweek.released_files"


def _note_deleted_files(session: DbSession, _flush_context) -> None:
    released = {obj.sha256 for obj in session.deleted if isinstance(obj, Attachment)}
    if released:
        session.info.setdefault(_RELEASED, set()).update(released)


def _detail(a: Attachment, store: AttachmentStore) -> AttachmentDetail:
    return AttachmentDetail(
        a.id, a.document_id, a.sha256, a.original_name, a.size, a.mime_type, a.added_at,
        a.text_status, a.text_message, len(a.text or ""), store.path_for(a.sha256),
    )


def _title_from(prepared: Sequence[PreparedFile]) -> str:
    for p in prepared:
        if p.extracted.title:
            return p.extracted.title.strip()[:500]
    return Path(prepared[0].name).stem.replace("_", " ").strip() or prepared[0].name


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


_ROLE_ORDER = {role.value: i for i, role in enumerate(OrganizationRole)}


def _role_order(link: DocumentOrganization) -> tuple[int, str]:
    return _ROLE_ORDER.get(link.role, 99), link.organization.name


def _list_sort(sort: str):
    try:
        return LIST_SORTS[sort]
    except KeyError:
        raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(LIST_SORTS)}") from None


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _required_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValueError("a document needs a title")
    return title


def _tag_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("a tag needs a name")
    if "," in name:
        raise ValueError(f"a tag name cannot contain a comma: {name!r}")
    if len(name) > 100:
        raise ValueError("a tag name is limited to 100 characters")
    return name


def _color(color: str | None) -> str | None:
    if not color:
        return None
    color = color.strip()
    if not (color.startswith("#") and len(color) in (4, 7) and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
        raise ValueError(f"invalid colour {color!r}: use #rrggbb")
    return color.lower()
