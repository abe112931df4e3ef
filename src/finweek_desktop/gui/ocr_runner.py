"""OCR in the background: the files that wait for it are read one at a time,
after attaching (which never waits) and at start-up (a restart resumes).

The work is the core's (``service.reading``: the sandboxed worker, its
limits, the write back through the writer, so the index follows and every
view hears the ChangeSet). This object only decides when to run, and
cancels at close. Without Tesseract it never runs; the file strip's badges
and the status bar say so once.
"""

from __future__ import annotations

import logging
import os
import threading

from PySide6.QtCore import QObject, Signal

from ..core.attachments.ocr import ENABLE_HINT
from ..core.catalog.service import CatalogService
from ..core.changes import ChangeSet
from .tasks import TaskRunner

log = logging.getLogger(__name__)


class BackgroundOcr(QObject):
    message = Signal(str)  # for the status bar
    finished = Signal(int)  # how many files a run read
    # A file was read: the document's ChangeSet, for the window to refresh
    # (emitted from the worker thread, delivered on the GUI thread).
    document_read = Signal(object)

    def __init__(self, service: CatalogService, parent=None):
        super().__init__(parent)
        self._service = service
        # Its own pool: a long OCR run must not hold one of the threads that
        # searches and previews run on.
        self._runner = TaskRunner(self)
        self._running = False
        self._again = False
        self._cancel = threading.Event()
        self._told = False  # that the engine is missing
        # Tests of other features turn it off: their catalogs' scans would be read meanwhile.
        self.enabled = os.environ.get("FINWEEK_BACKGROUND_OCR", "1") != "0"

    @property
    def running(self) -> bool:
        return self._running

    def catalog_changed(self, changes) -> None:
        if getattr(changes, "attachments", None):
            self.start()

    def start(self) -> None:
        """Read what waits for OCR, unless a run is on (then once more after it)."""
        if not self.enabled or self._cancel.is_set():
            return
        if self._running:
            self._again = True
            return
        reading = self._service.reading
        self._running = True
        self._again = False

        def work():
            pending = reading.pending()
            if not pending:
                return []
            if reading.missing():
                return len(pending)  # how many wait for an engine that is not installed
            return reading.run(cancel=self._cancel, progress=self._progress, page_progress=self._page)

        self._runner.run(work, self._done)

    def _progress(self, done: int, total: int, outcome) -> None:  # on the worker thread: signals only
        self.message.emit(f"OCR: read {done} of {total} file(s) ({outcome.name})")
        doc = frozenset({outcome.document_id})
        self.document_read.emit(ChangeSet(changed=doc, attachments=doc))

    def _page(self, _attachment_id: int, name: str, page: int, pages: int) -> None:  # on the worker thread
        if pages > 1 and page > 0:
            self.message.emit(f"OCR: {name}, page {page} of {pages}")

    def _done(self, outcomes, error) -> None:
        self._running = False
        if error is not None:
            log.warning("background OCR stopped: %s", error)
        if isinstance(outcomes, int):  # no engine: say so once a session
            if not self._told:
                self._told = True
                self.message.emit(f"{outcomes} file(s) are not searchable until OCR reads them: {ENABLE_HINT}")
            outcomes = []
        read = len(outcomes or [])
        if outcomes:
            self.message.emit(f"OCR read {read} file(s); their text is searchable now")
        self.finished.emit(read)
        if self._again:
            self.start()

    def stop(self, wait_ms: int = 5000) -> None:
        """Cancel the run (its file stays pending for the next start) and wait
        for it to end: the OCR child is killed within a tenth of a second."""
        self._cancel.set()
        self._runner.wait(wait_ms)
