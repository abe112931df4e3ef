"""Related documents in the detail pane: the 10 documents nearest in
meaning to the one shown, whatever their language, each with the passage
that makes it near. Computed on a worker (the first call loads the sentence
encoder); a click shows the document."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..core.catalog import CatalogService
from ..core.display import safe_display_name
from .errors import describe
from .tasks import TaskRunner
from .theme import kind_label, muted_color

PASSAGE_CHARS = 160


class RelatedList(QWidget):
    document_activated = Signal(int)

    def __init__(self, service: CatalogService, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.setObjectName("relatedDocuments")
        self.service = service
        self.runner = runner
        self.document_id: int | None = None
        self._generation = 0
        self._listed: set[int] = set()
        self.status = QLabel()
        self.status.setObjectName("hintLabel")
        self.status.setWordWrap(True)
        self.entries: list[QLabel] = []  # one a document: a link to it and its passage
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addWidget(self.status)

    def show_for(self, document_id: int | None, *, again: bool = False) -> None:
        """List the documents related to ``document_id`` (None: nothing); the
        same document shown again keeps its list unless ``again``."""
        if document_id == self.document_id and document_id is not None and not again:
            return
        self.document_id = document_id
        self._generation += 1
        generation = self._generation
        self._clear()
        if document_id is None:
            self.status.setText("")
            return
        self.status.setText("Finding documents related in meaning…")
        self.status.show()
        self.runner.run(
            lambda: self.service.meaning.related(document_id),
            lambda hits, error: self._show(generation, hits, error),
        )

    def refresh(self, changes) -> None:
        """After a write: again, when it touched the document or one listed."""
        if self.document_id is not None and changes.documents & (self._listed | {self.document_id}):
            self.show_for(self.document_id, again=True)

    def _clear(self) -> None:
        for label in self.entries:
            self._layout.removeWidget(label)
            label.deleteLater()
        self.entries = []
        self._listed = set()

    def _show(self, generation: int, hits, error) -> None:
        if generation != self._generation:
            return
        if error is not None:
            self.status.setText(f"Related documents are not available: {describe(error)}")
            return
        if not hits:
            self.status.setText("No document is near this one in meaning yet.")
            return
        self.status.hide()
        muted = muted_color()
        for hit in hits:
            title = safe_display_name(hit.title)
            passage = " ".join(hit.passage.split())
            if passage == " ".join(hit.title.split()):
                passage = ""  # near by its title, shown already
            elif len(passage) > PASSAGE_CHARS:
                passage = passage[:PASSAGE_CHARS].rstrip() + "…"
            label = QLabel(
                f"<a href='{hit.id}'>{html.escape(title)}</a>"
                f" <span style='color:{muted}'>{html.escape(kind_label(hit.kind))} · {hit.score:.2f}</span>"
                + (f"<br><span style='color:{muted}'>{html.escape(passage)}</span>" if passage else "")
            )
            label.setObjectName("relatedEntry")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setToolTip(f"Similarity {hit.score:.2f}. Click to show the document.")
            label.linkActivated.connect(lambda link: self.document_activated.emit(int(link)))
            self._layout.addWidget(label)
            label.show()  # at once, not when the layout next runs
            self.entries.append(label)
            self._listed.add(hit.id)
