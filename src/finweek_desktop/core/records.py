"""Plain immutable rows handed out by the core (never live ORM objects).

The GUI and the CLI receive these; they can be kept, compared and passed
between threads without a database session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class OrganizationRef:
    id: int
    name: str
    role: str


@dataclass(frozen=True)
class TagInfo:
    id: int
    name: str
    color: str | None = None
    count: int = 0


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

    def to_json(self) -> dict:
        data = asdict(self)
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
