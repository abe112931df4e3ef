"""The Whoosh schema of the catalog index, and the document it indexes."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from ..dates import PartialDate
from .analysis import (
    ANALYZER_VERSION,
    DETECTION_SAMPLE,
    PART_BREAK,
    is_portuguese,
    multilingual_analyzer,
    portuguese_analyzer,
)

# Bump when fields change; the analyzer has its own version.
# 2: the *_pt shadow fields.
# 4: one unstored ``body`` field (+ ``body_pt``) searched instead of nine
#    fields; summary, notes and content stored only.
# 5: ``user_notes``, the researcher's notes (catalog/notes.py), stored for
#    snippets and indexed in ``body``.
# 6: ``files`` stored: the hash, name and type of each attached file, so
#    that `finweek recover` can re-link the store's files to the documents
#    it rebuilds from the index when the database is lost.
# 7: ``ocr`` (needed / failed), the files of a document waiting for OCR or whose OCR failed.
SCHEMA_VERSION = f"7.{ANALYZER_VERSION}"

# Free-text fields searched when a query names no field, with their weight.
#
# ``body`` holds, in one indexed (unstored) field: subtitle, organization
# names and aliases, tags, session, places and aliases, summary, notes and
# the attachment text, each part separated by a position gap (see
# analysis.PART_BREAK) so a phrase never spans two parts. Searching
# title + body (and their Portuguese shadows) means 2-4 posting lists per
# query word instead of 14: at 50,000 documents two-term AND, phrase and
# prefix queries were 1.2-3.7 s, the cost being the width of the union over
# fields. The small fields (subtitle, org, tag, session, place) stay indexed
# on their own for field queries (org:, tag:, ...); summary, notes and
# content are stored only (for snippets): summary:, notes:, content: and
# text: search ``body`` (query.py).
DEFAULT_FIELDS = {
    "title": 4.0,
    "body": 1.0,
}
# Stored text fields a snippet may come from, best first, each with the
# indexed field whose terms (and analyzer) highlight it. The researcher's own
# notes come first: a hit there is what they look for, and its snippet says
# so (SNIPPET_PREFIXES).
SNIPPET_FIELDS = ("user_notes", "summary", "notes", "content", "title")
SNIPPET_SOURCES = {"user_notes": "body", "summary": "body", "notes": "body", "content": "body", "title": "title"}
SNIPPET_PREFIXES = {"user_notes": "Note: "}

# How the catalog knows a document is Portuguese: its ``language`` field
# ("pt", "pt-MO", ...), or, when that is empty, its text: title, summary,
# notes and the start of the attached text, 4,000 characters in all
# (function words; see analysis.is_portuguese). The free text of a Portuguese document is indexed
# twice: in the usual field (accent folding + English stemming, as for every
# document) and in a shadow field analysed with the Portuguese Snowball
# stemmer. The query parser searches each field together with its shadow and
# scores a document by the better of the two (DisjunctionMax), so English
# stemming is untouched and Portuguese documents gain Portuguese morphology.
# Shadows stay empty for other documents: they cost nothing there.
PORTUGUESE_SHADOWS = {
    "title": "title_pt",
    "subtitle": "subtitle_pt",
    "body": "body_pt",
}


def build_schema(han_index: str = "bigrams") -> Schema:
    analyzer = multilingual_analyzer(han_index)
    pt_analyzer = portuguese_analyzer(han_index)

    def text(stored: bool = False, analyzer=analyzer) -> TEXT:
        field = TEXT(analyzer=analyzer, stored=stored)
        # A word that analyzes into several tokens ("Hengqin-Macao", 横琴新区)
        # must match them in sequence, not just somewhere in the document.
        field.multitoken_query = "phrase"
        return field

    return Schema(
        id=ID(stored=True, unique=True),
        fingerprint=STORED(),
        kind=ID(stored=True),
        title=text(stored=True),
        subtitle=text(),
        body=text(),
        # Stored only: the text snippets are cut from (indexed in ``body``).
        summary=STORED(),
        notes=STORED(),
        user_notes=STORED(),
        content=STORED(),
        files=STORED(),  # [[sha256, original name, MIME type], ...]: for `finweek recover`
        org=text(),
        tag=KEYWORD(stored=True, lowercase=True, commas=True, scorable=True),
        # "needed" when a file of the document waits for OCR, "failed" when its OCR failed: ocr:needed, ocr:failed.
        ocr=KEYWORD(lowercase=True, commas=True),
        session=text(),
        place=text(),
        language=ID(stored=True),
        date=NUMERIC(int, stored=True, sortable=True, signed=False),
        date_text=STORED(),
        # Sort keys: undated documents go last whichever way dates run, and
        # titles sort case-insensitively over every hit, not just one page.
        undated=NUMERIC(int, sortable=True, signed=False),
        title_sort=ID(sortable=True),
        year=NUMERIC(int, stored=True),
        **{shadow: text(analyzer=pt_analyzer) for shadow in PORTUGUESE_SHADOWS.values()},
    )


@dataclass(frozen=True)
class IndexedDocument:
    """Everything the index knows of a document, built by the catalog."""

    id: int
    kind: str
    title: str
    subtitle: str = ""
    summary: str = ""
    notes: str = ""
    content: str = ""  # text of the attachments
    organizations: tuple[str, ...] = ()  # names and aliases
    tags: tuple[str, ...] = ()
    session: str = ""
    places: tuple[str, ...] = ()  # names and aliases
    language: str = ""
    date: str | None = None
    user_notes: tuple[str, ...] = ()  # the researcher's notes, Markdown
    files: tuple[tuple[str, str, str], ...] = ()  # (sha256, original name, MIME type) of each attachment
    ocr: tuple[str, ...] = ()  # "needed", "failed": the state of its files' OCR

    def fingerprint(self) -> str:
        """Changes whenever anything indexed changes: `check` compares it."""
        return hashlib.sha1(repr(astuple(self)).encode("utf-8")).hexdigest()

    def is_portuguese(self) -> bool:
        if self.language:
            return is_portuguese(self.language)
        # Undeclared: the title, summary and notes, then the start of the
        # attached text, which is most of what a scanned report holds.
        text = f"{self.title}\n{self.summary}\n{self.notes}"
        if len(text) < DETECTION_SAMPLE:
            text += "\n" + self.content[: DETECTION_SAMPLE - len(text)]
        return is_portuguese("", text)

    def body(self) -> str:
        """The text of the ``body`` field: every free-text part but the title
        (each note a part of its own)."""
        parts = (
            self.subtitle,
            *self.organizations,
            *self.tags,
            self.session,
            *self.places,
            self.summary,
            self.notes,
            *self.user_notes,
            self.content,
        )
        return PART_BREAK.join(part for part in parts if part)

    def fields(self) -> dict:
        date = PartialDate.parse(self.date) if self.date else None
        fields: dict[str, str | int | list[list[str]]] = {
            "id": str(self.id),
            "fingerprint": self.fingerprint(),
            "kind": self.kind,
            "title": self.title,
            "subtitle": self.subtitle,
            "summary": self.summary,
            "notes": self.notes,
            "user_notes": "\n\n".join(self.user_notes),
            "content": self.content,
            "body": self.body(),
            "org": "\n".join(self.organizations),
            "tag": ",".join(t.replace(",", " ") for t in self.tags),
            "session": self.session,
            "place": "\n".join(self.places),
            "language": self.language or "",
        }
        if self.files:
            fields["files"] = [list(f) for f in self.files]
        if self.ocr:
            fields["ocr"] = ",".join(self.ocr)
        if self.is_portuguese():
            for name, shadow in PORTUGUESE_SHADOWS.items():
                if fields[name]:
                    fields[shadow] = fields[name]
        fields["title_sort"] = self.title.casefold()
        fields["undated"] = 1 if date is None else 0
        if date is not None:
            fields["date"] = date.sort_key()
            fields["date_text"] = date.iso()
            fields["year"] = date.year
        return fields
