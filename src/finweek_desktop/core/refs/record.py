"""One reference as the formats see it: a document's citation data, with
organizations split by role into institutional authors and publishers."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dates import PartialDate
from ..records import PersonName


@dataclass(frozen=True)
class RefRecord:
    kind: str  # a DocumentKind value
    title: str
    key: str = ""  # the citation key / id in the file (export: "finweek<id>")
    subtitle: str | None = None
    date: str | None = None  # reduced-precision ISO 8601, as core/dates.py
    language: str | None = None
    abstract: str = ""
    persons: tuple[PersonName, ...] = ()  # authors and editors, in order
    # Organizations: those that wrote the document, edited it, published it.
    institutions: tuple[str, ...] = ()
    editor_institutions: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    place: str | None = None  # of publication
    url: str | None = None
    doi: str | None = None
    isbn: str | None = None
    pages: str | None = None
    report_number: str | None = None
    container: str | None = None  # the event or newspaper a session record or article belongs to
    keywords: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # file paths an imported entry names
    document_id: int | None = None

    @property
    def authors(self) -> tuple[PersonName, ...]:
        return tuple(p for p in self.persons if p.role == "author")

    @property
    def institutional_authors(self) -> tuple[str, ...]:
        """The organizations a format names as authors: those that wrote the
        document, or, when nobody wrote or edited it, those that published it."""
        if self.institutions or self.authors or self.editors or self.editor_institutions:
            return self.institutions
        return self.publishers

    @property
    def editors(self) -> tuple[PersonName, ...]:
        return tuple(p for p in self.persons if p.role == "editor")

    @property
    def partial_date(self) -> PartialDate | None:
        return PartialDate.parse(self.date) if self.date else None


@dataclass
class ParsedFile:
    """What a reader made of one file: records, and the entries it refused
    (label, reason) without stopping."""

    records: list[RefRecord] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
