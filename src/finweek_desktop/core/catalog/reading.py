"""OCR, derived work that follows the catalog: the pending-OCR queue and its runs.

The queue is simply the attachments whose ``text_status`` is "needs_ocr":
attaching sets it and never waits; a restart finds what is still pending.
A run takes one file at a time through the sandboxed worker (a child with
time and memory limits, ocr.py), one OCR process at a time across the app
and the CLI (a lock file beside the store), and writes the text back through
``writer.writing()``: the change log records the document changed, so the
index follows. A run cancelled or killed leaves the file pending; a failure
costs that file only and says why. Not an undo step: OCR adds no edit of
the user's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from filelock import FileLock, Timeout
from sqlalchemy import delete, select

from ..attachments import ocr
from ..attachments.extraction import CANCELLED, ExtractedText, TextSource, TextStatus, extract_text
from ..attachments.records import status_line
from ..attachments.store import AttachmentStore
from ..models import Attachment, AttachmentPage
from .writer import CatalogWriter

# What OCR may redo with --force: the files it reads, whatever their status.
_REDOABLE = (TextStatus.NEEDS_OCR, TextStatus.OCR_FAILED, TextStatus.NO_TEXT, TextStatus.OK, TextStatus.FAILED)


# (attachment id, file name, page done, pages): page 0 when the worker has counted them
PageProgress = Callable[[int, str, int, int], None]


@dataclass(frozen=True)
class OcrOutcome:
    attachment_id: int
    document_id: int
    name: str
    status: str  # the TextStatus value written; "needs_ocr" when cancelled
    message: str
    pages: int = 0


class Reading:
    """The pending-OCR queue of one catalog, and the runs that empty it."""

    def __init__(self, writer: CatalogWriter, store: AttachmentStore | None):
        self._writer = writer
        self._store = store
        self._local = threading.Lock()  # one OCR process at a time in this process ...
        # ... and across processes (the app and `finweek ocr`), when there is a store.
        self._lock = FileLock(str(store.root / "ocr.lock"), mode=0o600) if store is not None else None

    @staticmethod
    def missing() -> str | None:
        """Why OCR cannot run on this machine, with how to enable it; None when it can."""
        return ocr.missing()

    def pending(self, document_ids: Iterable[int] | None = None) -> list[int]:
        """Attachment ids waiting for OCR, oldest first (of these documents, if given)."""
        return self._ids((TextStatus.NEEDS_OCR,), document_ids)

    def failed(self, document_ids: Iterable[int] | None = None) -> list[int]:
        return self._ids((TextStatus.OCR_FAILED,), document_ids)

    def _ids(self, statuses: Sequence[TextStatus], document_ids: Iterable[int] | None) -> list[int]:
        query = select(Attachment.id).where(Attachment.text_status.in_([s.value for s in statuses]))
        if document_ids is not None:
            query = query.where(Attachment.document_id.in_(list(document_ids)))
        with self._writer.read() as session:
            return list(session.scalars(query.order_by(Attachment.id)))

    def redoable(self, document_ids: Iterable[int] | None = None) -> list[int]:
        """Attachments --force would OCR again: every image and PDF."""
        query = select(Attachment.id, Attachment.mime_type, Attachment.text_source, Attachment.text_status)
        if document_ids is not None:
            query = query.where(Attachment.document_id.in_(list(document_ids)))
        with self._writer.read() as session:
            rows = session.execute(query.order_by(Attachment.id)).all()
        return [i for i, mime, _source, status in rows if ocr.can_ocr(mime) and status in _REDOABLE]

    def run(
        self,
        attachment_ids: Sequence[int] | None = None,
        *,
        force: bool = False,
        progress: Callable[[int, int, OcrOutcome], None] | None = None,
        cancel: threading.Event | None = None,
        page_progress: PageProgress | None = None,
    ) -> list[OcrOutcome]:
        """OCR the given attachments (default: every pending one), one at a
        time; ``progress(done, total, outcome)`` after each, and
        ``page_progress(attachment_id, name, page, pages)`` as the worker
        reads a file's pages (page 0: it has counted them). Without ``force``
        only those still needing OCR are read. Stops early when ``cancel`` is
        set (the file being read stays pending). Raises RuntimeError when
        the engine is missing (the message says how to enable it)."""
        why = self.missing()
        if why:
            raise RuntimeError(why)
        todo = list(self.pending() if attachment_ids is None else attachment_ids)
        outcomes: list[OcrOutcome] = []
        for done, attachment_id in enumerate(todo, 1):
            if cancel is not None and cancel.is_set():
                break
            outcome = self.run_one(attachment_id, force=force, cancel=cancel, page_progress=page_progress)
            if outcome is None:
                continue
            outcomes.append(outcome)
            if progress is not None:
                progress(done, len(todo), outcome)
        return outcomes

    def run_one(
        self,
        attachment_id: int,
        *,
        force: bool = False,
        cancel: threading.Event | None = None,
        page_progress: PageProgress | None = None,
    ) -> OcrOutcome | None:
        """OCR one attachment and write its text back; None when there was
        nothing to do (not pending, gone, not a file OCR reads)."""
        with self._writer.read() as session:
            row = session.get(Attachment, attachment_id)
            if row is None or not ocr.can_ocr(row.mime_type):
                return None
            if not force and row.text_status != TextStatus.NEEDS_OCR.value:
                return None
            sha256, mime, name, doc_id = row.sha256, row.mime_type, row.original_name, row.document_id
            page_count = max(1, len(row.pages))
        if self._store is None:
            raise RuntimeError("this catalog was opened without an attachment store")
        path = self._store.path_for(sha256)
        if not path.exists():
            result = ExtractedText(TextStatus.OCR_FAILED, message="OCR failed: the stored file is missing")
        else:
            with self._one_at_a_time(cancel):
                if cancel is not None and cancel.is_set():
                    return OcrOutcome(attachment_id, doc_id, name, TextStatus.NEEDS_OCR.value, CANCELLED)
                pages_read = None
                if page_progress is not None:
                    tell = page_progress

                    def pages_read(page: int, pages: int) -> None:
                        tell(attachment_id, name, page, pages)

                # The budget is by the page: the pages known now (a PDF's
                # rows), then those the worker counts (a TIFF's frames).
                limits = ocr.limits_for(page_count)
                result = extract_text(path, mime, limits=limits, target=ocr.TARGET, cancel=cancel, progress=pages_read)
        if result.status is TextStatus.FAILED:
            if result.message.endswith(CANCELLED):
                return OcrOutcome(attachment_id, doc_id, name, TextStatus.NEEDS_OCR.value, CANCELLED)
            why = result.message.removeprefix("text could not be extracted: ")
            result = ExtractedText(TextStatus.OCR_FAILED, message=f"OCR failed: {why.replace('parser', 'OCR')}")
        self._write(sha256, result, force)
        return OcrOutcome(attachment_id, doc_id, name, result.status.value, result.message, len(result.pages))

    def _one_at_a_time(self, cancel: threading.Event | None):
        lock = self._lock
        local = self._local

        class _Both:
            def __enter__(self):
                while not local.acquire(timeout=0.5):
                    if cancel is not None and cancel.is_set():
                        raise _Cancelled
                if lock is None:
                    return self
                while True:
                    try:
                        lock.acquire(timeout=0.5)
                        return self
                    except Timeout:
                        if cancel is not None and cancel.is_set():
                            local.release()
                            raise _Cancelled from None

            def __exit__(self, *exc):
                if lock is not None:
                    lock.release()
                local.release()
                return exc[0] is _Cancelled

        return _Both()

    def _write(self, sha256: str, result: ExtractedText, force: bool) -> None:
        """The result, on every attachment of this content still waiting for
        it (or every one, forced): one transaction, logged, so the index follows."""
        with self._writer.writing() as (session, touched):
            rows = session.scalars(select(Attachment).where(Attachment.sha256 == sha256)).all()
            for row in rows:
                if not force and row.text_status != TextStatus.NEEDS_OCR.value:
                    continue  # someone else (another process) got there first
                if result.status is TextStatus.OK:
                    row.text, row.text_source = result.text, result.source.value
                elif result.status is TextStatus.NO_TEXT and row.text_source in ("ocr", ""):
                    row.text, row.text_source = "", TextSource.NONE.value
                row.text_status = result.status.value
                if result.status is TextStatus.OCR_FAILED and row.text_source == TextSource.FILE.value:
                    row.text_status = TextStatus.OCR_FAILED.value  # the file's text stays searchable
                row.text_message = result.message
                if result.pages:
                    session.execute(delete(AttachmentPage).where(AttachmentPage.attachment_id == row.id))
                    session.add_all(page_rows(row.id, result))
                touched.add(row.document_id)


__all__ = ["OcrOutcome", "PageProgress", "Reading", "page_rows", "status_line"]


class _Cancelled(Exception):
    pass


def page_rows(attachment_id: int, extracted: ExtractedText) -> list[AttachmentPage]:
    return [
        AttachmentPage(
            attachment_id=attachment_id,
            page=p.page,
            text=p.text,
            boxes=json.dumps([list(b) for b in p.boxes], ensure_ascii=False) if p.boxes else "",
        )
        for p in extracted.pages
    ]
