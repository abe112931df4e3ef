"""Attachments: attach, detach, previews, and the store's side of check and repair."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session as DbSession

from ..attachments.extraction import ExtractedText, PageText, TextSource, TextStatus, extract_text
from ..attachments.filetypes import PAGED_IMAGES, is_text_like
from ..attachments.ingest import PreparedFile, check_sources, prepare, title_from
from ..attachments.previews import PreviewError, Previews
from ..attachments.records import AlreadyAttached, AttachmentDetail, DuplicateAttachment, Holder
from ..attachments.store import AttachmentStore
from ..changes import ChangeSet
from ..database import make_commits_durable
from ..models import Attachment, Document, HeldFile, utcnow
from ..records import DocumentDetail, NewDocument
from ..vocabulary import DocumentKind
from . import snapshots
from .check_report import CheckReport
from .common import NotFound, require_document
from .documents import Documents
from .history import History
from .reading import page_rows
from .writer import CatalogWriter, retried, retry_conflicts

log = logging.getLogger(__name__)


class Attachments:
    """Files of documents: attach, detach (an undo step), previews, and the store's side of check and repair."""

    def __init__(self, writer: CatalogWriter, store: AttachmentStore | None, documents: Documents, history: History):
        self._writer = writer
        self.store = store
        self.previews = Previews(store) if store is not None else None
        self._documents = documents
        self._history = history
        if store is not None:
            self._watch_deleted_files()

    def _watch_deleted_files(self) -> None:
        """However an attachment row goes (detach, a deleted document's
        cascade), release its file once the deletion is committed."""
        event.listen(self._writer.sessions, "after_flush", _note_deleted_files)
        event.listen(self._writer.sessions, "after_commit", self._release_noted_files)
        event.listen(self._writer.sessions, "after_rollback", lambda s: s.info.pop(_RELEASED, None))

    # -- attachments ---------------------------------------------------------------
    # Files are staged and read before a transaction starts; a file becomes
    # live in the store before its row is committed; the row goes before the
    # file (see _release_noted_files). So a crash leaves a whole attachment or
    # nothing, plus at worst a file that `check` reports as unreferenced.

    def attach_files(
        self, doc_id: int, paths: Sequence[str | Path], *, allow_duplicate: bool = False, sandbox: bool = True
    ) -> list[AttachmentDetail]:
        """Attach files to a document, all or none.

        Raises DuplicateAttachment when another document holds the same
        content (call again with ``allow_duplicate=True`` to link it anyway)
        and AlreadyAttached when this document does, unless the store has
        lost that attachment's file: then the file is put back, and the
        existing attachment is returned. ``sandbox=False`` parses in this
        process: only for files shipped with the application.
        """
        return self.attach_many({doc_id: paths}, allow_duplicate=allow_duplicate, sandbox=sandbox)

    def attach_many(
        self, files: Mapping[int, Sequence[str | Path]], *, allow_duplicate: bool = False, sandbox: bool = True
    ) -> list[AttachmentDetail]:
        """``attach_files`` for several documents in one transaction."""
        store = self._require_store()
        for doc_id in files:
            self._documents.get_document(doc_id)  # NotFound before any copying
        with ExitStack() as stack:
            batch: dict[int | None, Sequence[PreparedFile]] = {}
            restores: list[PreparedFile] = []
            plan: list[int | None] = []  # per file: the attachment it restores, or None for a new one
            for doc_id, paths in files.items():
                prepared = prepare(store, [Path(p) for p in paths], stack, self.known_text, sandbox)
                lost = self._refuse_duplicates(doc_id, prepared, allow_duplicate)
                batch[doc_id] = [p for p in prepared if p.staged.sha256 not in lost]
                restores += [p for p in prepared if p.staged.sha256 in lost]
                plan += [lost.get(p.staged.sha256) for p in prepared]
            ids, changes = self._commit_prepared(batch, restores=restores)
        new_ids = iter(ids)
        return [replace(self.attachment(next(new_ids) if i is None else i), changes=changes) for i in plan]

    def create_document_with_files(
        self, new: NewDocument, paths: Sequence[str | Path], *, allow_duplicate: bool = False, sandbox: bool = True
    ) -> DocumentDetail:
        """Create a document and attach files to it; an empty title is taken
        from the first file's metadata or first heading, else its name."""
        store = self._require_store()
        DocumentKind.parse(new.kind)  # a bad kind fails before any copying
        with ExitStack() as stack:
            prepared = prepare(store, [Path(p) for p in paths], stack, self.known_text, sandbox)
            self._refuse_duplicates(None, prepared, allow_duplicate)
            new = replace(new, title=(new.title or "").strip() or title_from(prepared))
            # The document and its files commit together: a failure or a
            # crash while attaching leaves no empty document behind.
            ids, changes = self._commit_prepared({None: prepared}, new=new)
        return replace(self._documents.get_document(self.attachment(ids[0]).document_id), changes=changes)

    @retried
    def detach(self, doc_id: int, attachment_id: int) -> AttachmentDetail:
        """Remove an attachment; its file goes when nothing else refers to it."""
        before = self.attachment(attachment_id)
        if before.document_id != doc_id:
            raise NotFound(f"document {doc_id} has no attachment {attachment_id}")
        with self._writer.writing() as write:
            session = write.session
            row = session.get(Attachment, attachment_id)
            if row is None:  # detached meanwhile (another process)
                raise NotFound(f"document {doc_id} has no attachment {attachment_id}")
            saved = snapshots.attachment_snapshot(row)
            session.delete(row)
            document = require_document(session, doc_id)
            document.modified_at = utcnow()
            # The undo step holds the file, so the store keeps it.
            self._history.record(
                session,
                "detach",
                f"Detach “{before.original_name}” from “{document.title}”",
                undo=[{"op": "attach", "attachment": saved}],
                redo=[{"op": "detach", "attachment_id": attachment_id}],
                hold=[before.sha256],
            )
            write.touched.add(doc_id)
        return replace(before, changes=write.changes)

    def attachment(self, attachment_id: int) -> AttachmentDetail:
        """One attachment, its file on this computer (a team catalog's is
        fetched into the local cache: to open, preview or export it)."""
        store = self._require_store()
        with self._writer.read() as session:
            row = session.get(Attachment, attachment_id)
            if row is None:
                raise NotFound(f"no attachment with id {attachment_id}")
            detail = _detail(row, store)
        return replace(detail, path=store.local_path(detail.sha256))

    def of(self, doc_id: int) -> list[AttachmentDetail]:
        store = self._require_store()
        with self._writer.read() as session:
            document = require_document(session, doc_id)
            return [_detail(a, store) for a in document.attachments]

    def page_words(self, sha256: str, page: int) -> list[tuple[str, tuple[float, float, float, float]]]:
        """The words of a stored PDF's page with their boxes (Previews.page_words)."""
        return self._require_previews().page_words(sha256, page)

    def attachment_text(self, attachment_id: int) -> str:
        """The text extracted from an attachment ("" when there is none)."""
        with self._writer.read() as session:
            row = session.get(Attachment, attachment_id)
            if row is None:
                raise NotFound(f"no attachment with id {attachment_id}")
            return row.text

    def holders_of(self, path: str | Path) -> list[Holder]:
        """The documents that already hold the content of the file at ``path``."""
        (path,) = check_sources([Path(path)])
        return self.holders_by_hash(_file_sha256(path))

    def thumbnail(self, attachment_id: int, size: int = 256) -> Path:
        """A cached PNG thumbnail (images and PDFs); raises PreviewError otherwise."""
        a = self.attachment(attachment_id)
        return self._require_previews().thumbnail(a.sha256, a.mime_type, size)

    def render_page(self, attachment_id: int, page: int = 0, scale: float = 1.5) -> bytes:
        """One page of a PDF attachment, or of a multi-page scan (TIFF), as PNG bytes."""
        a = self.attachment(attachment_id)
        if a.mime_type in PAGED_IMAGES:
            return self._require_previews().render_frame(a.sha256, page, scale)
        if a.mime_type != "application/pdf":
            raise PreviewError(f"{a.original_name} is not a PDF")
        return self._require_previews().render_page(a.sha256, page, scale)

    def page_count(self, attachment_id: int) -> int:
        """The pages of a PDF, or of a multi-page scan (a TIFF's frames)."""
        a = self.attachment(attachment_id)
        if a.mime_type in PAGED_IMAGES:
            return self._require_previews().frame_count(a.sha256)
        return self._require_previews().page_count(a.sha256)

    def text_preview(self, attachment_id: int) -> str:
        """Text to show for an attachment: the file itself for text files,
        else what was extracted, else why nothing was."""
        a = self.attachment(attachment_id)
        if is_text_like(a.mime_type):
            return self._require_previews().text(a.sha256)
        return self.attachment_text(attachment_id) or a.text_message

    def _require_store(self) -> AttachmentStore:
        if self.store is None:
            raise RuntimeError("this catalog was opened without an attachment store")
        return self.store

    def _require_previews(self) -> Previews:
        if self.previews is None:
            raise RuntimeError("this catalog was opened without an attachment store")
        return self.previews

    def known_text(self, sha256: str) -> ExtractedText | None:
        with self._writer.read() as session:
            row = session.scalar(
                select(Attachment)
                .where(Attachment.sha256 == sha256, Attachment.text_status != TextStatus.PENDING.value)
                .limit(1)
            )
            if row is None:
                return None
            pages = tuple(
                PageText(p.page, p.text, tuple(tuple(b) for b in json.loads(p.boxes)) if p.boxes else ())
                for p in row.pages
            )
            return ExtractedText(
                TextStatus(row.text_status), row.text, None, row.text_message, pages, TextSource(row.text_source)
            )

    def holders_by_hash(self, sha256: str) -> list[Holder]:
        with self._writer.read() as session:
            rows = session.execute(
                select(Attachment.document_id, Document.title, Attachment.id, Attachment.original_name)
                .join(Document, Document.id == Attachment.document_id)
                .where(Attachment.sha256 == sha256)
                .order_by(Attachment.id)
            ).all()
        return [Holder(*row) for row in rows]

    def _refuse_duplicates(self, doc_id: int | None, prepared: Sequence[PreparedFile], allow: bool) -> dict[str, int]:
        """Raise for content given twice or held already; returns {hash:
        attachment id} for content this document holds whose stored file is
        lost, which attaching the file again restores (what `check` advises)."""
        seen: dict[str, str] = {}
        lost: dict[str, int] = {}
        for p in prepared:
            if p.staged.sha256 in seen:
                raise AlreadyAttached(f"{p.name} has the same content as {seen[p.staged.sha256]}: give it once")
            seen[p.staged.sha256] = p.name
            holders = self.holders_by_hash(p.staged.sha256)
            mine = [h for h in holders if h.document_id == doc_id]
            if mine and not self._require_store().exists(p.staged.sha256):
                lost[p.staged.sha256] = mine[0].attachment_id
            elif mine:
                raise AlreadyAttached(
                    f"{p.name} is already attached to document {doc_id}"
                    f" as [{mine[0].attachment_id}] {mine[0].original_name}"
                )
            elif holders and not allow:
                raise DuplicateAttachment(p.name, tuple(holders))
        return lost

    def _commit_prepared(
        self,
        batch: dict[int | None, Sequence[PreparedFile]],
        new: NewDocument | None = None,
        restores: Sequence[PreparedFile] = (),
    ) -> tuple[list[int], ChangeSet]:
        """Move the files into the store and commit their rows; the ids of the
        new attachments, and what changed. The files under ``None`` go to ``new``, created in
        the same transaction; ``restores`` only put back lost files of rows
        that exist."""
        store = self._require_store()
        batch = {doc_id: prepared for doc_id, prepared in batch.items() if prepared}
        everything = [p for prepared in batch.values() for p in prepared] + list(restores)
        with store.lock, store.committing(p.staged.sha256 for p in everything):
            try:
                for p in everything:
                    p.staged.commit()
                if not batch:
                    return [], ChangeSet()
                # Again from scratch if another desktop saved one of the documents meanwhile.
                return retry_conflicts(lambda: self._commit_rows(batch, new))
            except BaseException:
                # The rows did not commit (or a file could not be moved into
                # place): the files made live so far that only they would use must go.
                self.release_files({p.staged.sha256 for p in everything})
                raise

    def _commit_rows(
        self, batch: dict[int | None, Sequence[PreparedFile]], new: NewDocument | None
    ) -> tuple[list[int], ChangeSet]:
        with self._writer.writing() as write:
            session, touched = write.session, write.touched
            rows = []
            for doc_id, prepared in batch.items():
                if doc_id is not None:
                    document = require_document(session, doc_id)
                elif new is not None:
                    document = self._documents.add(session, new)
                else:
                    raise ValueError("files for a new document come with the document")
                added = [p.row() for p in prepared]
                document.attachments.extend(added)
                document.modified_at = utcnow()
                rows.extend(added)
                touched.add(document.id)
            session.flush()
            ids = [row.id for row in rows]
        return ids, write.changes

    def _release_noted_files(self, session: DbSession) -> None:
        released = session.info.pop(_RELEASED, None)
        if not released:
            return
        # The deletion must survive a power cut before its files go.
        if make_commits_durable(self._writer.engine):
            self.release_files(released)
        else:
            log.warning(
                "could not sync the database in time; %d file(s) are left for `finweek check --repair`", len(released)
            )

    def finish_interrupted_commits(self) -> int:
        """Remove the files a killed attach or import made live without
        committing their rows (nothing refers to them); returns how many
        commits were found. Never fails: the next start tries again."""
        store = self._require_store()
        found = 0
        try:
            with store.lock:
                for note, hashes in store.interrupted_commits():
                    self.release_files(hashes)
                    note.unlink(missing_ok=True)
                    found += 1
        except OSError:
            log.warning("could not finish an interrupted attach", exc_info=True)
        return found

    def release_files(self, hashes: Iterable[str], *, quarantine: bool = False) -> None:
        """Delete (or quarantine) the stored files of ``hashes`` that no row refers to any more."""
        store = self._require_store()
        release = store.quarantine if quarantine else store.delete
        with store.lock, self._writer.engine.connect() as connection:
            for sha256 in hashes:
                count = connection.scalar(select(func.count()).where(Attachment.sha256 == sha256))
                held = connection.scalar(select(func.count()).where(HeldFile.sha256 == sha256))
                if not count and not held:
                    release(sha256)

    def check_store(self, report: CheckReport) -> CheckReport:
        store = self._require_store()
        with self._writer.read() as session:
            rows = session.execute(select(Attachment.id, Attachment.sha256, Attachment.text_status)).all()
            held = set(session.scalars(select(HeldFile.sha256)))  # by the trash and undo steps
        stored = set(store.hashes())
        referenced = {sha for _, sha, _ in rows} | held
        return replace(
            report,
            unreferenced_files=tuple(sorted(stored - referenced)),
            missing_files=tuple(i for i, sha, _ in rows if sha not in stored),
            temp_files=tuple(str(p) for p in store.leftover_temp_files()),
            pending_text=tuple(i for i, sha, status in rows if status == TextStatus.PENDING.value and sha in stored),
            needs_ocr=tuple(i for i, _sha, status in rows if status == TextStatus.NEEDS_OCR.value),
            ocr_failed=tuple(i for i, _sha, status in rows if status == TextStatus.OCR_FAILED.value),
            quarantined_files=tuple(str(p) for p in store.quarantined()),
        )

    def repair_store(self, report: CheckReport) -> None:
        """Fix what can be fixed; rows whose file is gone stay, for the user to
        re-attach the file or detach them (deleting them would lose the record).
        Files no row refers to are quarantined, not deleted: the database may
        be what lost them."""
        store = self._require_store()
        self.release_files(report.unreferenced_files, quarantine=True)
        with store.lock:  # no commit is moving one of them meanwhile
            leftovers = set(map(str, store.leftover_temp_files()))  # still old now
            for temp in report.temp_files:
                if temp in leftovers:
                    Path(temp).unlink(missing_ok=True)
        for attachment_id in report.pending_text:
            detail = self.attachment(attachment_id)
            extracted = extract_text(store.local_path(detail.sha256), detail.mime_type)
            with self._writer.writing() as (session, touched):
                row = session.get(Attachment, attachment_id)
                row.text, row.text_status, row.text_message, row.text_source = (
                    extracted.text,
                    extracted.status.value,
                    extracted.message,
                    extracted.source.value,
                )
                row.pages = page_rows(row.id, extracted)
                touched.add(row.document_id)


_RELEASED = "finweek.released_files"


def _note_deleted_files(session: DbSession, _flush_context) -> None:
    released = {obj.sha256 for obj in session.deleted if isinstance(obj, Attachment | HeldFile)}
    if released:
        session.info.setdefault(_RELEASED, set()).update(released)


def _detail(a: Attachment, store: AttachmentStore) -> AttachmentDetail:
    return AttachmentDetail(
        a.id,
        a.document_id,
        a.sha256,
        a.original_name,
        a.size,
        a.mime_type,
        a.added_at,
        a.text_status,
        a.text_message,
        len(a.text or ""),
        store.path_for(a.sha256),
        a.text_source,
    )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
