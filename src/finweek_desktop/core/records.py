"""Plain immutable rows handed out by the core (never live ORM objects).

The GUI and the CLI receive these; they can be kept, compared and passed
between threads without a database session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from .changes import ChangeSet

# What a write returns carries what it changed: ``changes`` (left out of
# comparisons and of the JSON a record gives).
CHANGES = field(default_factory=ChangeSet, compare=False, repr=False)


@dataclass(frozen=True)
class OrganizationRef:
    id: int
    name: str
    role: str


@dataclass(frozen=True)
class PersonName:
    """A person who wrote or edited a document: ``family``/``given`` split,
    or ``literal`` for a name kept whole (a Chinese name in full)."""

    family: str = ""
    given: str = ""
    literal: str = ""
    role: str = "author"

    @property
    def display(self) -> str:
        if self.literal:
            return self.literal
        return f"{self.family}, {self.given}" if self.given else self.family

    @classmethod
    def parse(cls, text: str, role: str = "author") -> PersonName:
        """'Family, Given' splits; a name without a comma is kept whole."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("a person needs a name")
        family, comma, given = text.partition(",")
        if comma and family.strip():
            return cls(family.strip(), given.strip(), "", role)
        return cls("", "", text, role)


# The citation fields a document has besides its title and date.
CITATION_FIELDS = ("place_published", "url", "doi", "isbn", "pages", "report_number")


@dataclass(frozen=True)
class TagInfo:
    id: int
    name: str
    color: str | None = None
    count: int = 0
    changes: ChangeSet = CHANGES


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    sha256: str
    original_name: str
    size: int
    mime_type: str
    added_at: dt.datetime
    text_status: str = "ok"  # a TextStatus value
    text_summary: str = ""  # for people: "from OCR", "needs OCR", "OCR failed: why", ...
    searchable: bool = True  # search finds it by its text


@dataclass(frozen=True)
class DocumentSummary:
    """One row of a browsing table: cheap to load in bulk."""

    id: int
    kind: str
    title: str
    date: str | None
    organizations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    attachment_count: int = 0


@dataclass(frozen=True)
class DocumentDetail:
    id: int
    kind: str
    title: str
    subtitle: str | None
    date: str | None
    language: str | None
    summary: str
    notes: str
    source: str
    event: str | None
    session: str | None
    session_id: int | None
    organizations: tuple[OrganizationRef, ...]
    tags: tuple[TagInfo, ...]
    places: tuple[str, ...]
    attachments: tuple[AttachmentInfo, ...]
    created_at: dt.datetime
    modified_at: dt.datetime
    place_published: str | None = None
    url: str | None = None
    doi: str | None = None
    isbn: str | None = None
    pages: str | None = None
    report_number: str | None = None
    persons: tuple[PersonName, ...] = ()
    version: int = 1  # what an edit started from passes back (optimistic locking)
    changes: ChangeSet = CHANGES

    def to_json(self) -> dict:
        data = asdict(self)
        del data["changes"]
        data["tags"] = [t.name for t in self.tags]
        data["organizations"] = [{"name": o.name, "role": o.role} for o in self.organizations]
        data["attachments"] = [{**asdict(a), "added_at": a.added_at.isoformat()} for a in self.attachments]
        data["created_at"] = self.created_at.isoformat()
        data["modified_at"] = self.modified_at.isoformat()
        return data


@dataclass(frozen=True)
class OrganizationInfo:
    id: int
    name: str
    aliases: tuple[str, ...]
    description: str
    document_count: int = 0
    changes: ChangeSet = CHANGES


@dataclass(frozen=True)
class PlaceAliases:
    name: str
    aliases: tuple[str, ...]
    changes: ChangeSet = CHANGES


@dataclass(frozen=True)
class SessionInfo:
    id: int
    name: str
    session_type: str
    topics: tuple[str, ...]
    description: str
    document_count: int = 0


@dataclass(frozen=True)
class NewDocument:
    """What a caller supplies to create a document."""

    kind: str
    title: str
    subtitle: str | None = None
    date: str | None = None
    language: str | None = None
    summary: str = ""
    notes: str = ""
    source: str = ""
    tags: tuple[str, ...] = ()
    # (organization name or alias, role)
    organizations: tuple[tuple[str, str], ...] = ()
    session_id: int | None = None
    event_id: int | None = None
    places: tuple[str, ...] = field(default=())
    persons: tuple[PersonName, ...] = ()
    place_published: str | None = None
    url: str | None = None
    doi: str | None = None
    isbn: str | None = None
    pages: str | None = None
    report_number: str | None = None
