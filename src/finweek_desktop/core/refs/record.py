"""One reference as the formats see it: a document's citation data, with
organizations split by role into institutional authors and publishers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..dates import PartialDate
from ..records import PersonName
from ..vocabulary import OrganizationRole


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
    # Every organization with its role, as the catalog holds it: written by an
    # export beside the standard fields (which have no place for a second
    # publisher or an organizer), read back by an import of that file.
    roles: tuple[tuple[str, str], ...] = ()

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


ROLES_FIELD = "finweek-organizations"  # BibTeX field, CSL-JSON "custom" key, RIS C8 prefix
_ROLE_NAMES = frozenset(role.value for role in OrganizationRole)
_ESCAPES = {"%": "%25", ";": "%3B", "{": "%7B", "}": "%7D", "\\": "%5C", "\n": " ", "\r": " "}


def encode_roles(roles: tuple[tuple[str, str], ...]) -> str:
    """``publisher: 01 Think Tank; mentioned: Xinhua Silk Road`` (names with
    ``;``, ``%``, braces or backslashes percent-escaped), for text carriers."""
    return "; ".join(f"{role}: {''.join(_ESCAPES.get(ch, ch) for ch in name)}" for name, role in roles)


def decode_roles(text: str) -> tuple[tuple[str, str], ...]:
    """The roles ``encode_roles`` wrote; () for anything else, so a field
    another tool filled is ignored rather than misread."""
    roles = []
    for part in text.split(";"):
        role, colon, name = part.strip().partition(":")
        name = re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)), name).strip()
        if not colon or role.strip() not in _ROLE_NAMES or not name:
            return ()
        roles.append((name, role.strip()))
    return tuple(dict.fromkeys(roles))


def roles_of(value: object) -> tuple[tuple[str, str], ...]:
    """The roles of CSL-JSON's ``custom`` list of ``{"name", "role"}``; () for anything else."""
    if not isinstance(value, list):
        return ()
    roles = []
    for item in value:
        if not isinstance(item, dict):
            return ()
        name, role = " ".join(str(item.get("name") or "").split()), item.get("role")
        if not name or role not in _ROLE_NAMES:
            return ()
        roles.append((name, str(role)))
    return tuple(dict.fromkeys(roles))


@dataclass
class ParsedFile:
    """What a reader made of one file: records, and the entries it refused
    (label, reason) without stopping."""

    records: list[RefRecord] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
