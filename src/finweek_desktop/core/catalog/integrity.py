"""Index maintenance: build index entries from the database, rebuild, check, repair."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Document, DocumentOrganization, Organization
from ..search.schema import IndexedDocument
from .common import CHUNK_SIZE, chunks


# A repair may drop this many documents from the index without asking.
DROP_WITHOUT_ASKING = 5


class RepairNeedsConfirmation(RuntimeError):
    """A repair would drop documents only the index still has; nothing was changed."""

    def __init__(self, ids: tuple[int, ...]):
        self.ids = ids
        super().__init__(
            f"repair would remove {len(ids)} document(s) from the search index that the database "
            f"does not have; the index may be their last copy. Nothing was changed; "
            f"confirm to remove them (--yes), or restore the database from a backup first"
        )


@dataclass(frozen=True)
class CheckReport:
    missing_from_index: tuple[int, ...] = ()
    stale_in_index: tuple[int, ...] = ()
    orphans_in_index: tuple[int, ...] = ()
    problems: tuple[str, ...] = field(default=())
    # The attachment store: files no row refers to (hashes), rows whose file
    # is gone (attachment ids), copies a crash left in tmp/, and attachments
    # whose text was never extracted (from before migration 0002).
    unreferenced_files: tuple[str, ...] = ()
    missing_files: tuple[int, ...] = ()
    temp_files: tuple[str, ...] = ()
    pending_text: tuple[int, ...] = ()
    quarantined_files: tuple[str, ...] = ()  # moved aside by a repair: listed, never counted as a fault
    index_damaged: bool = False  # its files are not what was written: repair rebuilds it

    @property
    def ok(self) -> bool:
        return not (
            self.missing_from_index or self.stale_in_index or self.orphans_in_index or self.problems
            or self.unreferenced_files or self.missing_files or self.temp_files or self.pending_text
        )


class IntegrityMixin:
    # -- index maintenance ---------------------------------------------------

    def _indexed_documents(self, ids: Iterable[int] | None = None) -> Iterator[IndexedDocument]:
        """IndexedDocuments from the database, in chunks to bound memory."""
        with self._read() as session:
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
                        selectinload(Document.organization_links)
                        .selectinload(DocumentOrganization.organization)
                        .selectinload(Organization.aliases),
                    )
                ).all()
                for document in documents:
                    yield _to_indexed(document)
                session.expunge_all()

    def reindex(self, progress: Callable[[int, int | None], None] | None = None) -> int:
        """Rebuild the whole index from the database; what is written meanwhile
        is applied from the change log before this returns."""
        return self.follower.rebuild(progress)

    def check(self) -> CheckReport:
        """Compare the database with the index, document by document, after
        checking the index's files against what was written."""
        damaged = self.index.verify()
        if damaged:
            listed = ", ".join(damaged[:3]) + (", …" if len(damaged) > 3 else "")
            problem = f"the search index is damaged: {len(damaged)} file(s) differ from what was written ({listed})"
            report = CheckReport(problems=(problem,), index_damaged=True)
        else:
            in_index = self.index.fingerprints()
            missing, stale = [], []
            seen = set()
            for document in self._indexed_documents():
                seen.add(document.id)
                fingerprint = in_index.get(document.id)
                if fingerprint is None:
                    missing.append(document.id)
                elif fingerprint != document.fingerprint():
                    stale.append(document.id)
            orphans = sorted(set(in_index) - seen)
            report = CheckReport(tuple(missing), tuple(stale), tuple(orphans))
        return self._check_store(report) if self.store is not None else report

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
            self.sync_index(
                set(report.missing_from_index) | set(report.stale_in_index) | set(report.orphans_in_index))
        if self.store is not None:
            self._repair_store(report)
        return self.check()


def _to_indexed(document: Document) -> IndexedDocument:
    organization_names: list[str] = []
    for link in document.organization_links:
        org = link.organization
        for name in (org.name, *(a.alias for a in org.aliases)):
            if name not in organization_names:
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
    )
