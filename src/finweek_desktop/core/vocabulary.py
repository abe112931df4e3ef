"""The closed vocabularies of the catalog, kept in one place.

Values are stored in the database as the enum's ``value`` (a short slug), so
renaming a label never needs a migration.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentKind(StrEnum):
    REPORT = "report"
    BLUE_PAPER = "blue_paper"
    INITIATIVE = "initiative"
    SESSION_RECORD = "session_record"
    NEWS_ARTICLE = "news_article"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> DocumentKind:
        """Accept 'blue_paper', 'blue-paper', 'Blue paper' and plurals alike."""
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        for kind in cls:
            if key in (kind.value, kind.value + "s", kind.label.lower().replace(" ", "_")):
                return kind
        choices = ", ".join(k.value for k in cls)
        raise ValueError(f"unknown kind {text!r}; choose one of: {choices}")


_KIND_LABELS = {
    DocumentKind.REPORT: "Report",
    DocumentKind.BLUE_PAPER: "Blue paper",
    DocumentKind.INITIATIVE: "Initiative",
    DocumentKind.SESSION_RECORD: "Session record",
    DocumentKind.NEWS_ARTICLE: "News article",
}


class OrganizationRole(StrEnum):
    """How an organization relates to a document or to the event."""

    PUBLISHER = "publisher"
    AUTHOR = "author"
    EDITOR = "editor"
    ORGANIZER = "organizer"
    SUPPORTER = "supporter"
    HOST = "host"
    # Named in a document without taking part in making it.
    MENTIONED = "mentioned"

    @classmethod
    def parse(cls, text: str) -> OrganizationRole:
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {text!r}; choose one of: {choices}") from None


class PersonRole(StrEnum):
    """How a person relates to a document."""

    AUTHOR = "author"
    EDITOR = "editor"

    @classmethod
    def parse(cls, text: str) -> PersonRole:
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown person role {text!r}; choose one of: {choices}") from None


# ISO 639-1 codes with a script subtag where the script matters for search.
LANGUAGES = {
    "en": "English",
    "zh-Hans": "Chinese (Simplified)",
    "zh-Hant": "Chinese (Traditional)",
    "pt": "Portuguese",
}
