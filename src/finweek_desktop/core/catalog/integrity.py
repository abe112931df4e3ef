"""Index maintenance: build index entries from the database, rebuild, check, repair."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Document, DocumentOrganization, Note, Organization
from ..search.index import SearchIndex
from ..search.schema import IndexedDocument
from .attaching import Attachments
from .check_report import DROP_WITHOUT_ASKING, CheckReport, RepairNeedsConfirmation
from .common import CHUNK_SIZE, chunks
from .documents import Documents
from .writer import CatalogWriter


class Integrity:
    """The search index's side of the catalog: its entries built from the
    database, rebuild, check and repair (with the store's side from Attachments)."""

    def __init__(self, writer: CatalogWriter, index: SearchIndex, documents: Documents, attachments: Attachments):
        self._writer = writer
        self._index = index
        self._documents = documents
        self._attachments = attachments

    def indexed_documents(self, ids: Iterable[int] | None = None) -> Iterator[IndexedDocument]:
        """IndexedDocuments from the database, in chunks to bound memory."""
        with self._writer.read() as session:
            all_ids = list(ids) if ids is not None else list(session.scalars(select(Document.id).order_by(Document.id)))
            for chunk in chunks(all_ids, CHUNK_SIZE):
                documents = session.scalars(
                    select(Document)
                    .where(Document.id.in_(chunk))
                    .options(
                        selectinload(Document.tags),
                        selectinload(Document.places),
                        selectinload(Document.attachments),
                        selectinload(Document.session),
                        selectinload(Document.persons),
                        selectinload(Document.organization_links)
                        .selectinload(DocumentOrganization.organization)
                        .selectinload(Organization.aliases),
                    )
                ).all()
                notes: dict[int, list[str]] = {}
                for doc_id, body in session.execute(
                    select(Note.document_id, Note.body).where(Note.document_id.in_(chunk)).order_by(Note.id)
                ):
                    notes.setdefault(doc_id, []).append(body)
                for document in documents:
                    yield _to_indexed(document, notes.get(document.id, ()))
                session.expunge_all()

    def reindex(self, progress: Callable[[int, int | None], None] | None = None) -> int:
        """Rebuild the whole index from the database; what is written meanwhile
        is applied from the change log before this returns."""
        return self._writer.require_follower().rebuild(progress)

    def sync_index(self, ids: Iterable[int]) -> None:
        """Make the index entries of ``ids`` match the database (repair)."""
        ids = set(ids)
        if not ids:
            return
        documents = list(self.indexed_documents(ids))
        self._index.apply(documents, ids - {d.id for d in documents})

    def check(self) -> CheckReport:
        """Compare the database with the index, document by document, after
        checking the index's files against what was written."""
        damaged = self._index.verify()
        if damaged:
            listed = ", ".join(damaged[:3]) + (", …" if len(damaged) > 3 else "")
            problem = f"the search index is damaged: {len(damaged)} file(s) differ from what was written ({listed})"
            report = CheckReport(problems=(problem,), index_damaged=True)
        else:
            in_index = self._index.fingerprints()
            missing, stale = [], []
            seen = set()
            for document in self.indexed_documents():
                seen.add(document.id)
                fingerprint = in_index.get(document.id)
                if fingerprint is None:
                    missing.append(document.id)
                elif fingerprint != document.fingerprint():
                    stale.append(document.id)
            orphans = sorted(set(in_index) - seen)
            report = CheckReport(tuple(missing), tuple(stale), tuple(orphans))
        unwritable = self._index.write_problem()  # a read-only folder, a full disk
        if unwritable is not None:  # what is written now waits in the change log
            report = replace(report, problems=(*report.problems, unwritable))
        elif report.missing_from_index or report.stale_in_index or report.orphans_in_index:
            waiting = self._writer.follower.pending() if self._writer.follower is not None else 0
            if waiting:  # e.g. another process holds the index's writer: not a fault a repair must fix
                report = replace(report, problems=(*report.problems, _waiting_in_log(waiting)))
        report = replace(report, search_fast_path_off=self._index.fast_path_problem)
        return self._attachments.check_store(report) if self._attachments.store is not None else report

    def repair(self, report: CheckReport | None = None, *, confirmed: bool = False) -> CheckReport:
        """Fix what ``check`` found. Stored files are never deleted: those no
        row refers to move to the store's quarantine. Dropping more than
        DROP_WITHOUT_ASKING documents from the index needs ``confirmed``;
        without it RepairNeedsConfirmation is raised before anything changes."""
        report = report or self.check()
        if len(report.orphans_in_index) > DROP_WITHOUT_ASKING and not confirmed:
            raise RepairNeedsConfirmation(report.orphans_in_index)
        if report.index_damaged:
            self.reindex()
        else:
            self.sync_index(set(report.missing_from_index) | set(report.stale_in_index) | set(report.orphans_in_index))
        if self._attachments.store is not None:
            self._attachments.repair_store(report)
        return self.check()


def _waiting_in_log(count: int) -> str:
    return (
        f"{count} change(s) wait in the change log for the search index (another process may be writing it); "
        "they are applied by themselves once it is free, no repair needed"
    )


def _to_indexed(document: Document, user_notes: Iterable[str] = ()) -> IndexedDocument:
    organization_names: list[str] = []
    for link in document.organization_links:
        org = link.organization
        for name in (org.name, *(a.alias for a in org.aliases)):
            if name not in organization_names:
                organization_names.append(name)
    # The people who wrote or edited it are searched with the organizations
    # that made it (plain words and org:): no index field of their own, so
    # adding them needed no rebuild of existing indexes.
    for person in document.persons:
        name = person.literal or f"{person.given} {person.family}".strip()
        if name and name not in organization_names:
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
        content="\n\n".join(a.text for a in document.attachments if a.text),
        user_notes=tuple(user_notes),
        files=tuple((a.sha256, a.original_name, a.mime_type) for a in document.attachments),
        ocr=tuple(sorted({_OCR_STATES[a.text_status] for a in document.attachments if a.text_status in _OCR_STATES})),
    )


# What ``ocr:`` finds a document by: a file waiting for OCR, or whose OCR failed.
_OCR_STATES = {"needs_ocr": "needed", "ocr_failed": "failed"}
