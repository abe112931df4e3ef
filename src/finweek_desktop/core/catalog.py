"""The catalog service: every write goes through here.

It keeps SQLite (or any SQLAlchemy database) and the Whoosh index
consistent: each write commits to the database, then updates the index for
the documents it touched. The ids are put in the index journal before the
commit and taken out after the index update, so a crash in between is
repaired at the next start. Reads hand out plain dataclasses from
``records``, never ORM objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, Select, delete, func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload, sessionmaker

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

    @property
    def ok(self) -> bool:
        return not (self.missing_from_index or self.stale_in_index or self.orphans_in_index or self.problems)


class CatalogService:
    def __init__(self, engine: Engine, index: SearchIndex, journal: IndexJournal):
        self.engine = engine
        self.index = index
        self.journal = journal
        self._sessions = sessionmaker(engine, expire_on_commit=False)

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
            self.journal.clear(())
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
        total = self.count_documents()
        count = self.index.rebuild(self._indexed_documents(), total=total, progress=progress)
        self.journal.clear(())
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
        return CheckReport(tuple(missing), tuple(stale), tuple(orphans))

    def repair(self, report: CheckReport | None = None) -> CheckReport:
        report = report or self.check()
        self.sync_index(set(report.missing_from_index) | set(report.stale_in_index) | set(report.orphans_in_index))
        return self.check()


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
    )


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
