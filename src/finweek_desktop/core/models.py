"""SQLAlchemy 2.x typed declarative models of the catalog.

Only portable column types and constructs are used here, so the same models
serve SQLite on a desktop and PostgreSQL for a shared catalog; anything
SQLite-specific lives in ``database.py``.
"""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that Alembic batch migrations on SQLite can
# find and alter constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


document_tags = Table(
    "document_tags",
    Base.metadata,
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

document_places = Table(
    "document_places",
    Base.metadata,
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Event(Base):
    """An edition of the finance week."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    edition: Mapped[int | None]
    place: Mapped[str | None] = mapped_column(String(300))
    # The dates exactly as the sources give them (they may be vague).
    dates_text: Mapped[str | None] = mapped_column(String(300))
    duration_days: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text, default="")

    sessions: Mapped[list[EventSession]] = relationship(back_populates="event", order_by="EventSession.position")
    organizations: Mapped[list[EventOrganization]] = relationship(back_populates="event", cascade="all, delete-orphan")


class EventOrganization(Base):
    __tablename__ = "event_organizations"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    event: Mapped[Event] = relationship(back_populates="organizations")
    organization: Mapped[Organization] = relationship()


class EventSession(Base):
    """A session of the event: the opening ceremony, a forum, ..."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    session_type: Mapped[str] = mapped_column(String(40))
    topics: Mapped[str] = mapped_column(Text, default="")  # one topic per line
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="sessions")


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    aliases: Mapped[list[OrganizationAlias]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="OrganizationAlias.id"
    )


class OrganizationAlias(Base):
    """Another name: an abbreviation, or the name in another script."""

    __tablename__ = "organization_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(300), unique=True)

    organization: Mapped[Organization] = relationship(back_populates="aliases")


class Place(Base):
    """A place the documents speak of, with the figures the sources give."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    place_type: Mapped[str] = mapped_column(String(40), default="")
    aliases: Mapped[str] = mapped_column(Text, default="")  # one alias per line
    opened_year: Mapped[int | None]
    area_m2: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text, default="")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Lower-cased name: uniqueness without relying on a database's collation.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str | None] = mapped_column(String(9))  # "#rrggbb"


class DocumentOrganization(Base):
    __tablename__ = "document_organizations"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    document: Mapped[Document] = relationship(back_populates="organization_links")
    organization: Mapped[Organization] = relationship()


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(500))
    subtitle: Mapped[str | None] = mapped_column(String(500))
    # Reduced-precision ISO 8601 ("2020", "2020-11", "2020-11-20"); see dates.py.
    date: Mapped[str | None] = mapped_column(String(10), index=True)
    language: Mapped[str | None] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    # What a citation needs besides the above (migration 0006).
    place_published: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(200), index=True)
    isbn: Mapped[str | None] = mapped_column(String(40))
    pages: Mapped[str | None] = mapped_column(String(40))
    report_number: Mapped[str | None] = mapped_column(String(100))
    # Stable key of a record loaded from seed data, so reloading is idempotent.
    seed_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # Optimistic locking: every UPDATE checks and bumps it, so a second
    # desktop's edit of a stale copy fails instead of overwriting (StaleDataError).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A key that stays the same when the document is copied into another
    # catalog (`finweek team push` matches on it).
    uuid: Mapped[str | None] = mapped_column(String(36), unique=True, index=True, default=lambda: str(uuid4()))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  # read once by SQLAlchemy at mapping

    event: Mapped[Event | None] = relationship()
    session: Mapped[EventSession | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=document_tags, order_by="Tag.name_key")
    places: Mapped[list[Place]] = relationship(secondary=document_places, order_by="Place.name")
    organization_links: Mapped[list[DocumentOrganization]] = relationship(
        back_populates="document", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    persons: Mapped[list[DocumentPerson]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentPerson.position"
    )


class DocumentPerson(Base):
    """A person who wrote or edited a document, in the order of the title page.

    A name is either split (``family``, ``given``) or whole (``literal``): a
    Chinese name kept in full as written, which no citation style may invert
    or abbreviate."""

    __tablename__ = "document_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    role: Mapped[str] = mapped_column(String(20), default="author")  # a PersonRole value
    family: Mapped[str] = mapped_column(String(200), default="")
    given: Mapped[str] = mapped_column(String(200), default="")
    literal: Mapped[str] = mapped_column(String(300), default="")

    document: Mapped[Document] = relationship(back_populates="persons")


class Attachment(Base):
    """A file behind a document; the file itself lives in the attachment store."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer)
    mime_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Extracted once at attach time and kept here, so re-indexing never has
    # to run a parser again. Status values: core/attachments/extraction.py.
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    text_status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    text_message: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Where the text came from: "file", "ocr", "file+ocr" or "" (none yet).
    text_source: Mapped[str] = mapped_column(String(20), default="", server_default="")

    document: Mapped[Document] = relationship(back_populates="attachments")
    pages: Mapped[list[AttachmentPage]] = relationship(
        cascade="all, delete-orphan", order_by="AttachmentPage.page", passive_deletes=True
    )


class AttachmentPage(Base):
    """The text of one page (1-based) of a paged attachment, so a search hit
    knows its page; ``boxes`` holds a scanned page's OCR word boxes as JSON
    ``[[word, x0, y0, x1, y1], ...]`` in fractions of the page ("" when none)."""

    __tablename__ = "attachment_pages"

    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True)
    page: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    boxes: Mapped[str] = mapped_column(Text, default="", server_default="")


# A sequence that only grows: BIGINT on a server, SQLite's INTEGER PRIMARY KEY
# with AUTOINCREMENT (a rowid, never reused even after the log is pruned).
_Sequence = BigInteger().with_variant(Integer, "sqlite")


class Change(Base):
    """One row per document a transaction wrote, committed with that write.

    The search index (and anything else derived from the catalog) follows
    this log: it re-reads the named documents and records the last sequence
    it applied. ``document_id`` is not a foreign key: a deleted document's
    row must outlive it. It is NULL for a change that touches no document
    but what every search reads (places' and organizations' aliases)."""

    __tablename__ = "changes"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012  # read once by SQLAlchemy at mapping, never mutated

    seq: Mapped[int] = mapped_column(_Sequence, primary_key=True, autoincrement=True)
    document_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(20))  # a ChangeAction value
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ChangeLogState(Base):
    """The log's one row of bookkeeping: up to which sequence it was pruned,
    so a follower further behind knows it must rebuild."""

    __tablename__ = "change_log_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pruned_through: Mapped[int] = mapped_column(_Sequence, default=0)


class TrashItem(Base):
    """A deleted document, kept whole (its fields, links and attachment rows
    as JSON) until it is restored or purged; its files stay in the store,
    held by ``held_files``."""

    __tablename__ = "trash"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    deleted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    snapshot: Mapped[str] = mapped_column(Text)  # JSON, see catalog/snapshots.py

    files: Mapped[list[HeldFile]] = relationship(back_populates="trash_item", cascade="all, delete-orphan")


class HistoryEntry(Base):
    """One undoable change: what undoing and redoing it do, as JSON.
    ``author`` keeps one desktop's undo to its own changes in a team catalog."""

    __tablename__ = "history"

    id: Mapped[int] = mapped_column(primary_key=True)
    author: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    undo: Mapped[str] = mapped_column(Text)
    redo: Mapped[str] = mapped_column(Text)
    undone: Mapped[bool] = mapped_column(default=False)

    files: Mapped[list[HeldFile]] = relationship(back_populates="history_entry", cascade="all, delete-orphan")


class HeldFile(Base):
    """A stored file that a trash item or an undo step still needs: the
    store keeps it although no attachment row refers to it."""

    __tablename__ = "held_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    trash_id: Mapped[int | None] = mapped_column(ForeignKey("trash.id", ondelete="CASCADE"), index=True)
    history_id: Mapped[int | None] = mapped_column(ForeignKey("history.id", ondelete="CASCADE"), index=True)

    trash_item: Mapped[TrashItem | None] = relationship(back_populates="files")
    history_entry: Mapped[HistoryEntry | None] = relationship(back_populates="files")


class Collection(Base):
    """A named group of documents, nestable: a manual collection holds the
    documents put in it; a saved search (``kind`` "saved") holds a query with
    its sort and facet filters and is re-run whenever it is shown.

    Names are unique among siblings, ignoring case. ``parent_key`` is the
    parent's id or 0 at the top: a unique constraint over a NULL parent would
    let two top-level collections share a name (NULLs are distinct in
    SQLite's and PostgreSQL's unique constraints alike)."""

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("parent_key", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # casefolded name
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    parent_key: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10), default="manual")  # "manual" | "saved"
    query: Mapped[str] = mapped_column(Text, default="")
    sort: Mapped[str] = mapped_column(String(20), default="relevance")
    filters: Mapped[str] = mapped_column(Text, default="{}")  # JSON: {"kinds": [...], "tags": [...]}
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CollectionDocument(Base):
    """A document's membership of a manual collection."""

    __tablename__ = "collection_documents"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Note(Base):
    """A researcher's note on a document, in Markdown (not the document's own
    ``notes`` field, which describes the document)."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CatalogSetting(Base):
    """A setting of the catalog itself, shared by every desktop of a team:
    its identity (``catalog_id``), whether the seed was loaded (``seeded``)."""

    __tablename__ = "catalog_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class FileBlob(Base):
    """A team catalog's stored file: content-addressed by the same SHA-256
    as the local store, its bytes in ``file_chunks``."""

    __tablename__ = "file_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    chunks: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FileChunk(Base):
    __tablename__ = "file_chunks"

    sha256: Mapped[str] = mapped_column(ForeignKey("file_blobs.sha256", ondelete="CASCADE"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Embedding(Base):
    """One passage of a document (its title, a stretch of its summary, notes
    or attachment text) as a vector of the named model: derived data, kept
    in step with the change log by ``meaning/follower.py``. In the catalog
    database, so a team catalog computes it once. The passage itself is
    ``[start, end)`` of its source text, read from the document when shown.
    ``vector`` is int8 bytes; times ``scale`` it is the unit-length vector."""

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("document_id", "passage_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    passage_no: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))  # title, summary, note or attachment
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(40))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    scale: Mapped[float] = mapped_column(Float)


class EmbeddingState(Base):
    """The embeddings' one row of bookkeeping: the model they were made
    with, how far they follow the change log (an index_follower Position as
    JSON) and a generation that grows with every write of embeddings, so
    each desktop knows when its in-memory vectors are stale."""

    __tablename__ = "embedding_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(100), default="")
    model_version: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[str | None] = mapped_column(Text)
    generation: Mapped[int] = mapped_column(_Sequence, default=0)
