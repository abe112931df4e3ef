"""What the parts of the catalog service share: errors, filters, sorts and
the validation of names and values."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session as DbSession

from ..dates import normalize_date
from ..models import Attachment, Document, DocumentOrganization, DocumentPerson, Organization, Tag, document_tags
from ..records import CITATION_FIELDS, NewDocument, PersonName
from ..vocabulary import DocumentKind, OrganizationRole, PersonRole

EDITABLE_FIELDS = (
    "kind",
    "title",
    "subtitle",
    "date",
    "language",
    "summary",
    "notes",
    "source",
    "session_id",
    *CITATION_FIELDS,
)
# Per-document values of the list columns, as correlated subqueries: the
# database sorts 50,000 rows by them without the rows being loaded.
# Publishers and authors before those merely mentioned: the organization a
# list shows first (and sorts by) is the one that made the document.
ROLE_RANK = case(
    {role.value: i for i, role in enumerate(OrganizationRole)},
    value=DocumentOrganization.role,
    else_=len(OrganizationRole),
)
_FIRST_ORGANIZATION = (
    select(func.lower(Organization.name))
    .join(DocumentOrganization, DocumentOrganization.organization_id == Organization.id)
    .where(DocumentOrganization.document_id == Document.id)
    .order_by(ROLE_RANK, func.lower(Organization.name))
    .limit(1)
    .correlate(Document)
    .scalar_subquery()
)
_FIRST_TAG = (
    select(func.min(Tag.name_key))
    .join(document_tags, document_tags.c.tag_id == Tag.id)
    .where(document_tags.c.document_id == Document.id)
    .correlate(Document)
    .scalar_subquery()
)
_FILE_COUNT = (
    select(func.count(Attachment.id)).where(Attachment.document_id == Document.id).correlate(Document).scalar_subquery()
)

LIST_SORTS = {
    "date": (Document.date.desc().nulls_last(), Document.id.desc()),
    "date-asc": (Document.date.asc().nulls_last(), Document.id.asc()),
    "title": (func.lower(Document.title), Document.id),
    "kind": (Document.kind, func.lower(Document.title)),
    "id": (Document.id,),
    "modified": (Document.modified_at.desc(), Document.id.desc()),
    "organization": (_FIRST_ORGANIZATION.asc().nulls_last(), func.lower(Document.title), Document.id),
    "tag": (_FIRST_TAG.asc().nulls_last(), func.lower(Document.title), Document.id),
    "files": (_FILE_COUNT.desc(), func.lower(Document.title), Document.id),
    "files-asc": (_FILE_COUNT.asc(), func.lower(Document.title), Document.id),
}
CHUNK_SIZE = 500


class NotFound(LookupError):
    """No such document, tag, ...; the message names what is missing."""


class ChangedMeanwhile(Exception):
    """Someone else (a colleague's desktop, another window) saved the document
    after this edit started from it: nothing was saved, nothing overwritten.
    ``yours`` holds the edit's values, ``theirs`` the document's values of the
    same fields now, so both can be shown side by side."""

    def __init__(
        self,
        doc_id: int,
        title: str,
        your_version: int,
        their_version: int,
        yours: dict,
        theirs: dict,
        *,
        undoing: bool = False,
    ):
        self.doc_id = doc_id  # 0: not one document's change (a tag renamed or recoloured meanwhile)
        self.undoing = undoing
        self.title = title
        self.your_version = your_version
        self.their_version = their_version
        self.yours = yours
        self.theirs = theirs
        differing = ", ".join(
            f"{name}: yours {yours[name]!r}, theirs {theirs.get(name)!r}" for name in self.differing()
        )
        # ``undoing``: an undo or redo, whose "yours" is what it would have put back
        what = f"your change made version {your_version}" if undoing else f"you edited version {your_version}"
        subject = f"document {doc_id} “{title}”" if doc_id else f"“{title}”"
        super().__init__(
            f"{subject} was changed by someone else meanwhile "
            f"({what}, it is now version {their_version}); nothing was "
            + ("undone or redone" if undoing else "saved")
            + (f" ({differing})" if differing else "")
        )

    def differing(self) -> list[str]:
        """The fields whose value in the edit is not the one saved now."""
        return [name for name in self.yours if self.yours[name] != self.theirs.get(name)]


@dataclass(frozen=True)
class DocumentFilter:
    """What a browsing view shows; empty means everything."""

    kind: str | None = None
    tag: str | None = None
    session_id: int | None = None
    organization_id: int | None = None
    text: str | None = None  # a substring of the title (the table's quick filter)


EVERYTHING = DocumentFilter()


ROLE_ORDER = {role.value: i for i, role in enumerate(OrganizationRole)}


def role_order(link: DocumentOrganization) -> tuple[int, str]:
    return ROLE_ORDER.get(link.role, 99), link.organization.name


def list_sort(sort: str):
    try:
        return LIST_SORTS[sort]
    except KeyError:
        raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(LIST_SORTS)}") from None


def chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def required_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValueError("a document needs a title")
    return title


def clean_tag_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("a tag needs a name")
    if "," in name:
        raise ValueError(f"a tag name cannot contain a comma: {name!r}")
    if len(name) > 100:
        raise ValueError("a tag name is limited to 100 characters")
    return name


def clean_color(color: str | None) -> str | None:
    if not color:
        return None
    color = color.strip()
    if not (color.startswith("#") and len(color) in (4, 7) and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
        raise ValueError(f"invalid colour {color!r}: use #rrggbb")
    return color.lower()


def document_row(new: NewDocument) -> Document:
    """A new document's own fields as a row, validated; links come after."""
    return Document(
        kind=DocumentKind.parse(new.kind).value,
        title=required_title(new.title),
        subtitle=(new.subtitle or None),
        date=normalize_date(new.date),
        language=new.language or None,
        summary=new.summary,
        notes=new.notes,
        source=new.source,
        session_id=new.session_id,
        event_id=new.event_id,
        **{name: clean_citation_field(name, getattr(new, name)) for name in CITATION_FIELDS},
        persons=person_rows(new.persons),
    )


def clean_citation_field(name: str, value: str | None) -> str | None:
    """A citation field as stored: trimmed, None for empty; a DOI without its
    resolver prefix, an ISBN without spaces."""
    value = " ".join((value or "").split())
    if not value:
        return None
    if name == "doi":
        lowered = value.lower()
        for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
            if lowered.startswith(prefix):
                value = value[len(prefix) :].strip()
                break
        if not value.startswith("10."):
            raise ValueError(f"invalid DOI {value!r}: a DOI has the form 10.NNNN/suffix")
    elif name == "isbn":
        value = value.replace(" ", "")
    limits = {"place_published": 300, "doi": 200, "isbn": 40, "pages": 40, "report_number": 100}
    if name in limits and len(value) > limits[name]:
        raise ValueError(f"the {name.replace('_', ' ')} is limited to {limits[name]} characters")
    return value


def person_rows(persons: Sequence[PersonName]) -> list[DocumentPerson]:
    rows = []
    for position, person in enumerate(persons):
        literal = " ".join(person.literal.split())
        family = " ".join(person.family.split())
        given = " ".join(person.given.split())
        if not (literal or family):
            raise ValueError("a person needs a family name or a full name")
        rows.append(
            DocumentPerson(
                position=position,
                role=PersonRole.parse(person.role).value,
                family="" if literal else family,
                given="" if literal else given,
                literal=literal,
            )
        )
    return rows


def require_document(session: DbSession, doc_id: int) -> Document:
    document = session.get(Document, doc_id)
    if document is None:
        raise NotFound(f"no document with id {doc_id}")
    return document
