"""The researcher's notes on the document shown, a section of the detail
pane: each note rendered from its Markdown with its created and modified
times; add, edit (a plain text editor for the Markdown) and delete.

Writes go through ``Operations`` (each one undo step); the panel refreshes
itself from ``ops.catalog_changed`` when its document changed."""

from __future__ import annotations

import datetime as dt
import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.catalog import NotFound
from ..core.catalog.notes import NoteInfo
from ..core.changes import ChangeSet
from .operations import Operations
from .preview import ContainedBrowser
from .theme import muted_color, set_icon

EDITOR_LINES = 6


class NoteBody(ContainedBrowser):
    """A note's Markdown shown as a label would show it (no frame, no scroll
    bars, as tall as its text, selectable) but loading nothing it names
    (#17.6): a QLabel reads the local files of ``![z](/dev/zero)`` itself,
    which froze the window."""

    def __init__(self, markdown: str):
        super().__init__()
        self.setObjectName("noteBody")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setOpenLinks(False)  # offline: a link is text to read
        self.setOpenExternalLinks(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().setDocumentMargin(0)
        self.document().documentLayout().documentSizeChanged.connect(lambda _size: self._fit())
        self.setMarkdown(markdown)

    def _fit(self) -> None:
        self.setFixedHeight(math.ceil(self.document().size().height()) + 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.document().setTextWidth(self.viewport().width())
        self._fit()


def _when(value: dt.datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def note_times(note: NoteInfo) -> str:
    text = f"Created {_when(note.created_at)}"
    if note.modified_at != note.created_at:
        text += f" · edited {_when(note.modified_at)}"
    return text


class NotesPanel(QWidget):
    notes_shown = Signal(int)  # how many notes the panel shows (after each load)

    def __init__(self, ops: Operations, parent=None):
        super().__init__(parent)
        self.setObjectName("notesPanel")
        self.ops = ops
        self.service = ops.service
        self.document_id: int | None = None
        self.notes: list[NoteInfo] = []
        self.editing: int | None = None  # the note being edited; None: a new one

        heading = QLabel("MY NOTES")
        heading.setObjectName("sectionLabel")
        self.add_button = QToolButton()
        self.add_button.setObjectName("addNote")
        set_icon(self.add_button, "document-new")
        self.add_button.setText("Add note")
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setAutoRaise(True)
        self.add_button.setToolTip("Write a note on this document (Markdown); notes are searched with the document")
        self.add_button.clicked.connect(self.start_add)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(heading, 1)
        head.addWidget(self.add_button)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("noteEditor")
        self.editor.setPlaceholderText("A note in Markdown: **bold**, *italic*, - lists, [links](…)")
        self.editor.setTabChangesFocus(True)
        lines = self.editor.fontMetrics().lineSpacing() * EDITOR_LINES
        self.editor.setFixedHeight(lines + 2 * self.editor.frameWidth() + 8)
        self.save_button = QPushButton("Save note")
        self.save_button.setObjectName("saveNote")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelNote")
        self.cancel_button.clicked.connect(self.cancel)
        self.editor_message = QLabel()
        self.editor_message.setObjectName("noteMessage")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.editor_message, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        self.editor_box = QWidget()
        box = QVBoxLayout(self.editor_box)
        box.setContentsMargins(0, 0, 0, 4)
        box.setSpacing(4)
        box.addWidget(self.editor)
        box.addLayout(buttons)
        self.editor_box.hide()

        self.empty = QLabel("No notes yet.")
        self.empty.setObjectName("hintLabel")
        self.cards = QVBoxLayout()
        self.cards.setContentsMargins(0, 0, 0, 0)
        self.cards.setSpacing(6)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.editor_box)
        layout.addWidget(self.empty)
        layout.addLayout(self.cards)

        ops.catalog_changed.connect(self._catalog_changed)

    # -- showing -------------------------------------------------------------------

    def show_document(self, doc_id: int | None) -> None:
        if doc_id != self.document_id:
            self._close_editor()
        self.document_id = doc_id
        self.setVisible(doc_id is not None)
        self.reload()

    def reload(self) -> None:
        notes: list[NoteInfo] = []
        if self.document_id is not None:
            try:
                notes = self.service.notes.of_document(self.document_id)
            except NotFound:  # deleted meanwhile: the pane follows
                notes = []
        self.notes = notes
        while self.cards.count():
            item = self.cards.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)  # gone from the pane now (findChild too), deleted later
                widget.deleteLater()
        for note in notes:
            self.cards.addWidget(self._card(note))
        self.empty.setVisible(not notes and not self.editor_box.isVisible())
        self.notes_shown.emit(len(notes))

    def _card(self, note: NoteInfo) -> QFrame:
        card = QFrame()
        card.setObjectName(f"note_{note.id}")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        body = NoteBody(note.body)
        meta = QLabel(note_times(note))
        meta.setObjectName("noteTimes")
        meta.setStyleSheet(f"color: {muted_color()};")
        edit = QToolButton()
        edit.setObjectName("editNote")
        set_icon(edit, "edit")
        edit.setAutoRaise(True)
        edit.setToolTip("Edit the note")
        edit.clicked.connect(lambda: self.start_edit(note))
        delete = QToolButton()
        delete.setObjectName("deleteNote")
        set_icon(delete, "delete")
        delete.setAutoRaise(True)
        delete.setToolTip("Delete the note (Ctrl+Z brings it back)")
        delete.clicked.connect(lambda: self.ops.delete_note(note.id))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(meta, 1)
        row.addWidget(edit)
        row.addWidget(delete)
        column = QVBoxLayout(card)
        column.setContentsMargins(8, 6, 4, 4)
        column.setSpacing(2)
        column.addWidget(body)
        column.addLayout(row)
        return card

    def _catalog_changed(self, changes: ChangeSet) -> None:
        if self.document_id is not None and self.document_id in changes.documents:
            self.reload()

    # -- editing -------------------------------------------------------------------

    def start_add(self) -> None:
        if self.document_id is None:
            return
        self._open_editor(None, "")

    def start_edit(self, note: NoteInfo) -> None:
        self._open_editor(note.id, note.body)

    def _open_editor(self, note_id: int | None, text: str) -> None:
        self.editing = note_id
        self.editor.setPlainText(text)
        self.editor_message.setText("")
        self.save_button.setText("Save note" if note_id is not None else "Add note")
        self.editor_box.show()
        self.empty.hide()
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        scroll = self.parentWidget()
        while scroll is not None and not isinstance(scroll, QScrollArea):
            scroll = scroll.parentWidget()
        if scroll is not None:  # the pane scrolls: bring the editor into view
            QTimer.singleShot(0, lambda: scroll.ensureWidgetVisible(self.editor_box, 0, 8))

    def _close_editor(self) -> None:
        self.editor_box.hide()
        self.editor.clear()
        self.editing = None

    def cancel(self) -> None:
        self._close_editor()
        self.empty.setVisible(not self.notes)

    def save(self) -> None:
        body = self.editor.toPlainText().strip()
        if not body:
            self.editor_message.setText("Write something first, or Cancel.")
            return
        # The editor closes once the note is saved: a failed save keeps the text.
        if self.editing is not None:
            self.ops.edit_note(self.editing, body, done=lambda _note: self._saved())
        elif self.document_id is not None:
            self.ops.add_note(self.document_id, body, done=lambda _note: self._saved())

    def _saved(self) -> None:
        self._close_editor()
        self.empty.setVisible(not self.notes)
