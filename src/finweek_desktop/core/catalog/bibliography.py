"""References in and out of the catalog: export of documents as CSV, JSON,
BibTeX, RIS and CSL-JSON, import of BibTeX, RIS and CSL-JSON files, and
citations. The formats themselves are in ``core/refs``; this part turns
documents into ``RefRecord``s (a few set-based queries per 500 documents)
and records into documents (through ``Imports``: batched transactions of
the one writer, logged in the change log).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from ..attachments.records import DuplicateAttachment
from ..changes import ChangeSet
from ..models import Document, DocumentOrganization, DocumentPerson, Event, Organization, Tag, document_tags
from ..records import NewDocument, PersonName
from ..refs import EXPORT_FORMATS, bibtex, csljson, ris, tabular
from ..refs.encoding import decode
from ..refs.names import is_institution
from ..refs.record import ParsedFile, RefRecord
from ..search.analysis import fold_term
from ..vocabulary import DocumentKind, OrganizationRole
from .attaching import Attachments
from .common import CHUNK_SIZE, chunks, clean_tag_name, document_row
from .documents import Documents
from .imports import Imports
from .reference import Reference
from .writer import CatalogWriter

_WRITERS: dict[str, Callable[[Iterable[RefRecord]], Iterable[str]]] = {
    "csv": tabular.write_csv,
    "json": tabular.write_json,
    "bibtex": bibtex.write,
    "ris": ris.write,
    "csl-json": csljson.write,
}
EXTENSIONS = {"csv": ".csv", "json": ".json", "bibtex": ".bib", "ris": ".ris", "csl-json": ".json"}
_READERS = {"bibtex": bibtex.read, "ris": ris.read, "csl-json": csljson.read}


@dataclass(frozen=True)
class Duplicate:
    entry: str  # the entry's key or label in its file
    title: str
    reason: str  # "same DOI as [12] ...", "same title and year as entry x of this file"


@dataclass
class RefImportReport:
    added: list[tuple[int, str]] = field(default_factory=list)  # (document id, title)
    duplicates: list[Duplicate] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file: entry, reason)
    attached: list[tuple[int, str]] = field(default_factory=list)  # (document id, file name)
    notes: list[str] = field(default_factory=list)  # files named but missing or not attached
    changes: ChangeSet = field(default_factory=ChangeSet)  # what the import wrote

    def to_json(self) -> dict:
        return {
            "added": [{"id": i, "title": t} for i, t in self.added],
            "duplicates": [{"entry": d.entry, "title": d.title, "reason": d.reason} for d in self.duplicates],
            "refused": [{"entry": e, "reason": r} for e, r in self.refused],
            "attached": [{"id": i, "file": f} for i, f in self.attached],
            "notes": list(self.notes),
        }


def format_of(path: Path, text: str) -> str | None:
    """The reference format of a file, by its content first, then its name."""
    head = text.lstrip("\ufeff \t\r\n")[:2000]
    if head.startswith(("[", "{")):
        return "csl-json"
    if re.search(r"^TY  - ", head, re.MULTILINE):
        return "ris"
    if re.search(r"@\s*\w+\s*[{(]", head):
        return "bibtex"
    return {".bib": "bibtex", ".ris": "ris", ".json": "csl-json"}.get(path.suffix.lower())


def title_key(title: str) -> str:
    """A title as duplicates are compared: folded as search folds it
    (case, accents, Traditional to Simplified), punctuation and spaces dropped."""
    return re.sub(r"[\W_]+", "", fold_term(title))


class Bibliography:
    """Export, reference import and citations."""

    def __init__(
        self,
        writer: CatalogWriter,
        documents: Documents,
        reference: Reference,
        imports: Imports,
        attachments: Attachments,
    ):
        self._writer = writer
        self._documents = documents
        self._reference = reference
        self._imports = imports
        self._attachments = attachments

    # -- documents as references ---------------------------------------------------

    def records(self, ids: Sequence[int]) -> Iterator[RefRecord]:
        """The documents ``ids`` as references, in that order (missing ids
        skipped). Plain column queries, five per 500 documents: no ORM
        objects are built, so 50,000 documents export in seconds."""
        for chunk in chunks(ids, CHUNK_SIZE):
            with self._writer.read() as session:
                rows = session.execute(
                    select(
                        Document.id,
                        Document.kind,
                        Document.title,
                        Document.subtitle,
                        Document.date,
                        Document.language,
                        Document.summary,
                        Document.place_published,
                        Document.url,
                        Document.doi,
                        Document.isbn,
                        Document.pages,
                        Document.report_number,
                        Event.name,
                    )
                    .outerjoin(Event, Event.id == Document.event_id)
                    .where(Document.id.in_(chunk))
                ).all()
                persons: dict[int, list[PersonName]] = {}
                for doc_id, family, given, literal, role in session.execute(
                    select(
                        DocumentPerson.document_id,
                        DocumentPerson.family,
                        DocumentPerson.given,
                        DocumentPerson.literal,
                        DocumentPerson.role,
                    )
                    .where(DocumentPerson.document_id.in_(chunk))
                    .order_by(DocumentPerson.document_id, DocumentPerson.position, DocumentPerson.id)
                ):
                    persons.setdefault(doc_id, []).append(PersonName(family, given, literal, role))
                tags: dict[int, list[str]] = {}
                for doc_id, name in session.execute(
                    select(document_tags.c.document_id, Tag.name)
                    .join(Tag, Tag.id == document_tags.c.tag_id)
                    .where(document_tags.c.document_id.in_(chunk))
                    .order_by(Tag.name_key)
                ):
                    tags.setdefault(doc_id, []).append(name)
                organizations: dict[int, list[tuple[str, str]]] = {}
                for doc_id, name, role in session.execute(
                    select(DocumentOrganization.document_id, Organization.name, DocumentOrganization.role)
                    .join(Organization, Organization.id == DocumentOrganization.organization_id)
                    .where(DocumentOrganization.document_id.in_(chunk))
                    .order_by(func.lower(Organization.name))
                ):
                    organizations.setdefault(doc_id, []).append((name, role))
            by_id = {
                row[0]: _record_of(row, persons.get(row[0], ()), tags.get(row[0], ()), organizations.get(row[0], ()))
                for row in rows
            }
            yield from (by_id[i] for i in chunk if i in by_id)

    def export(self, ids: Sequence[int], fmt: str) -> Iterator[str]:
        """The documents in format ``fmt`` (one of EXPORT_FORMATS), in pieces."""
        if fmt not in _WRITERS:
            raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
        return iter(_WRITERS[fmt](self.records(ids)))

    def export_to(
        self, ids: Sequence[int], fmt: str, path: Path, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Write the export to ``path`` (UTF-8) through a temporary file, so a
        failed export leaves no half file; returns how many documents."""
        path = Path(path)
        temp = path.with_name(f".{path.name}.part")
        total = len(ids)
        done = 0

        def counted(records: Iterable[RefRecord]) -> Iterator[RefRecord]:
            nonlocal done
            for record in records:
                yield record
                done += 1
                if progress is not None and done % 500 == 0:
                    progress(done, total)

        if fmt not in _WRITERS:
            raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
        try:
            with open(temp, "w", encoding="utf-8", newline="") as out:
                for piece in _WRITERS[fmt](counted(self.records(ids))):
                    out.write(piece)
            temp.replace(path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if progress is not None:
            progress(done, total)
        return done

    def cite(self, ids: Sequence[int], style: str, fmt: str = "text") -> list[str]:
        """The bibliography of ``ids`` in ``style`` (gb7714, apa, chicago), one string an entry."""
        from ..refs.cite import bibliography

        return bibliography(list(self.records(ids)), style, fmt)

    def in_text(self, ids: Sequence[int], style: str, fmt: str = "text") -> str:
        """The in-text citation of ``ids`` together ("[1-3]", "(Wang 2023)")."""
        from ..refs.cite import in_text

        return in_text(list(self.records(ids)), style, fmt)

    # -- references into documents ---------------------------------------------------

    def read_file(self, path: Path) -> ParsedFile:
        """Parse one reference file; a file that cannot be read at all is refused whole."""
        path = Path(path)
        data = path.read_bytes()
        text, _encoding = decode(data)
        fmt = format_of(path, text)
        if fmt is None:
            parsed = ParsedFile()
            parsed.refused.append((path.name, "not a BibTeX, RIS or CSL-JSON file"))
            return parsed

        def institution(name: str, publishers: tuple[str, ...]) -> bool:
            return is_institution(name, publishers, lambda n: self._reference.find_organization(n) is not None)

        try:
            parsed = _READERS[fmt](text.lstrip("\ufeff"), institution)
        except Exception as exc:  # the parser gave up on the whole file: the other files go on
            parsed = ParsedFile()
            parsed.refused.append((path.name, f"cannot be read as {fmt}: {type(exc).__name__}: {exc}"))
        base = path.parent
        parsed.records = [_resolve_files(r, base) for r in parsed.records]
        return parsed

    def import_files(
        self,
        paths: Sequence[Path],
        *,
        progress: Callable[[str, int, int | None], None] | None = None,
        procs: int | None = None,
    ) -> RefImportReport:
        """Add one document per new entry of the files; report duplicates
        (same DOI, or same folded title and year, in the catalog or earlier
        in the files) and refused entries; attach each entry's files that exist."""
        report = RefImportReport()
        seen_dois, seen_titles = self._existing_keys()
        accepted: list[tuple[RefRecord, NewDocument, str]] = []
        for path in paths:
            path = Path(path)
            try:
                parsed = self.read_file(path)
            except OSError as exc:
                report.refused.append((path.name, exc.strerror or str(exc)))
                continue
            report.refused.extend((f"{path.name}: {label}", why) for label, why in parsed.refused)
            for record in parsed.records:
                label = f"{path.name}: {record.key or record.title[:40]}"
                reason = _duplicate_of(record, label, seen_dois, seen_titles)
                if reason:
                    report.duplicates.append(Duplicate(label, record.title, reason))
                    continue
                try:
                    new = self._new_document(record)
                except ValueError as exc:
                    report.refused.append((label, str(exc)))
                    continue
                accepted.append((record, new, label))
                if record.doi:
                    seen_dois[record.doi.lower()] = f"entry {label}"
                seen_titles[(title_key(record.title), (record.date or "")[:4])] = f"entry {label}"
                if progress:
                    progress("Reading references", len(accepted), None)
        if accepted:
            total = len(accepted)
            result = self._imports.import_documents(
                [new for _, new, _ in accepted],
                procs=procs,
                undo_as=f"Import {'1 reference' if total == 1 else f'{total} references'}",
                progress=(lambda done, _t: progress("Adding documents", done, total)) if progress else None,
            )
            report.changes = result.changes
            for (record, new, label), doc_id in zip(accepted, result.ids, strict=False):
                report.added.append((doc_id, new.title))
                self._attach(doc_id, record, label, report)
        return report

    def _attach(self, doc_id: int, record: RefRecord, label: str, report: RefImportReport) -> None:
        for name in record.files:
            path = Path(name)
            if not path.is_file():
                report.notes.append(f"{label}: the file {name} does not exist; not attached")
                continue
            try:
                [attached] = self._attachments.attach_files(doc_id, [path], allow_duplicate=True)
                report.changes = report.changes.merged(attached.changes)
                report.attached.append((doc_id, path.name))
            except (OSError, ValueError, DuplicateAttachment) as exc:
                report.notes.append(f"{label}: {path.name} not attached ({exc})")
            except Exception as exc:  # the reference is saved; the file is reported, never the whole import
                report.notes.append(f"{label}: {path.name} not attached ({type(exc).__name__}: {exc})")

    def _existing_keys(self) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        dois: dict[str, str] = {}
        titles: dict[tuple[str, str], str] = {}
        with self._writer.read() as session:
            for doc_id, title, date, doi in session.execute(
                select(Document.id, Document.title, Document.date, Document.doi)
            ):
                if doi:
                    dois.setdefault(doi.lower(), f"[{doc_id}] {title}")
                titles.setdefault((title_key(title), (date or "")[:4]), f"[{doc_id}] {title}")
        return dois, titles

    def _new_document(self, record: RefRecord) -> NewDocument:
        publishers = list(record.publishers)
        if record.kind == DocumentKind.NEWS_ARTICLE and not publishers and record.container:
            publishers = [record.container]
        organizations = [(name, OrganizationRole.AUTHOR.value) for name in record.institutions]
        organizations += [(name, OrganizationRole.EDITOR.value) for name in record.editor_institutions]
        organizations += [(name, OrganizationRole.PUBLISHER.value) for name in publishers]
        persons = record.persons
        if record.roles:
            # A finweek export: the organizations and roles as the catalog held them (a publisher
            # the formats made an institutional author is a publisher again; an organizer, a
            # second publisher come back), plus any organization another tool added since.
            carried = {name.casefold() for name, _role in record.roles}
            organizations = list(record.roles) + [o for o in organizations if o[0].casefold() not in carried]
            persons = tuple(p for p in persons if not (p.literal and p.literal.casefold() in carried))
        tags = []
        for keyword in record.keywords:
            try:
                tags.append(clean_tag_name(keyword))
            except ValueError:
                continue  # a keyword no tag can be (too long): left out
        new = NewDocument(
            kind=record.kind,
            title=record.title,
            subtitle=record.subtitle,
            date=record.date,
            language=record.language,
            summary=record.abstract,
            tags=tuple(dict.fromkeys(tags)),
            organizations=tuple(dict.fromkeys(organizations)),
            persons=persons,
            place_published=record.place,
            url=record.url,
            doi=record.doi,
            isbn=record.isbn,
            pages=_fit(record.pages, 40),
            report_number=_fit(record.report_number, 100),
            event_id=self._event_id(record),
        )
        document_row(new)  # every field checked now: a bad entry is refused alone, not its batch
        for name, _role in new.organizations:
            if not name.strip() or len(name.strip()) > 300:
                raise ValueError(f"an organization name must have 1 to 300 characters: {name[:40]!r}")
        return new

    def _event_id(self, record: RefRecord) -> int | None:
        if record.kind != DocumentKind.SESSION_RECORD or not record.container:
            return None
        for event in self._reference.events():
            if event["name"].casefold() == record.container.casefold():
                return int(event["id"])
        return None


def _fit(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else value


def _duplicate_of(
    record: RefRecord, label: str, dois: dict[str, str], titles: dict[tuple[str, str], str]
) -> str | None:
    if record.doi and record.doi.lower() in dois:
        return f"same DOI as {dois[record.doi.lower()]}"
    key = (title_key(record.title), (record.date or "")[:4])
    if key[0] and key in titles:
        return f"same title and year as {titles[key]}"
    return None


def _resolve_files(record: RefRecord, base: Path) -> RefRecord:
    if not record.files:
        return record
    from dataclasses import replace

    resolved = []
    for name in record.files:
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = base / path
        resolved.append(str(path))
    return replace(record, files=tuple(resolved))


def _record_of(row, persons, tags, organizations) -> RefRecord:
    (doc_id, kind, title, subtitle, date, language, summary, place, url, doi, isbn, pages, report_number, event) = row
    institutions = [name for name, role in organizations if role == OrganizationRole.AUTHOR]
    editor_institutions = [name for name, role in organizations if role == OrganizationRole.EDITOR]
    publishers = [name for name, role in organizations if role == OrganizationRole.PUBLISHER]
    container = None
    if kind == DocumentKind.SESSION_RECORD and event is not None:
        container = event
    elif kind == DocumentKind.NEWS_ARTICLE and publishers:
        container = publishers[0]
    return RefRecord(
        kind=kind,
        key=f"finweek{doc_id}",
        title=title,
        subtitle=subtitle,
        date=date,
        language=language,
        abstract=summary or "",
        persons=tuple(persons),
        institutions=tuple(institutions),
        editor_institutions=tuple(editor_institutions),
        publishers=tuple(publishers),
        place=place,
        url=url,
        doi=doi,
        isbn=isbn,
        pages=pages,
        report_number=report_number,
        container=container,
        keywords=tuple(tags),
        document_id=doc_id,
        roles=tuple(organizations),
    )
