"""The detail pane: everything about the selected document, its tags as
editable chips, its files and a preview of the selected file.

Two parts in a vertical splitter: the metadata (scrolls) above, the files
strip and the preview below. The split is fitted to the document (a slim
drop strip without files) until the user moves it; from then on the
preview keeps the share of the height the user gave it."""

from __future__ import annotations

import html
import itertools
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.display import safe_display_name
from ..core.records import AttachmentInfo, DocumentDetail
from ..core.vocabulary import LANGUAGES
from .file_strip import AttachmentRole, FileStrip
from .preview import PreviewWidget
from .theme import kind_label, muted_color, set_icon
from .widgets import TagEditor, local_paths

_EMPTY_PREVIEW_HEIGHT = 72  # px: room for the "drop files here" line


class DetailPane(QWidget):
    tag_add_requested = Signal(int, str)
    tag_remove_requested = Signal(int, str)
    tag_activated = Signal(str)
    edit_requested = Signal(int)
    delete_requested = Signal(int)
    attach_requested = Signal(int)
    attachment_selected = Signal(object)  # AttachmentInfo or None
    open_attachment_requested = Signal(object)
    reveal_attachment_requested = Signal(object)
    save_attachment_requested = Signal(object)
    detach_requested = Signal(int, object)
    files_dropped = Signal(int, list)
    document_shown = Signal(object)  # the id of the document now shown, or None (sections follow it)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.document: DetailDocument | None = None
        self.setAcceptDrops(True)

        self.kind = QLabel()
        self.kind.setObjectName("detailKind")
        self.title = QLabel()
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)

        self.edit_button = self._tool("edit", "Edit the document (Ctrl+E)", lambda: self._emit(self.edit_requested))
        self.edit_button.setObjectName("paneEdit")
        self.delete_button = self._tool(
            "delete", "Delete the document (Del)", lambda: self._emit(self.delete_requested)
        )
        self.delete_button.setObjectName("paneDelete")
        self.attach_button = self._tool(
            "attach", "Attach files… (or drop files here)", lambda: self._emit(self.attach_requested)
        )
        self.attach_button.setObjectName("paneAttach")
        # "2 of 3 selected": the pane shows one of the selected documents,
        # and its Delete acts on all of them.
        self.selection_label = QLabel()
        self.selection_label.setObjectName("selectionCount")
        self.selection_label.hide()
        head = QHBoxLayout()
        head.addWidget(self.kind, 1)
        head.addWidget(self.selection_label)
        for button in (self.attach_button, self.edit_button, self.delete_button):
            head.addWidget(button)

        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._fields: dict[str, QLabel] = {}
        for key, label in (
            ("authors", "Authors"),
            ("date", "Date"),
            ("language", "Language"),
            ("event", "Event"),
            ("session", "Session"),
            ("places", "Places"),
            ("source", "Source"),
            ("citation", "Citation"),
            ("modified", "Modified"),
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName(f"field_{key}")
            # What the catalog holds is shown as typed, never read as markup: a
            # title of <img src="/dev/zero"> made the label read that file (#17.6, #17.11).
            value.setTextFormat(Qt.TextFormat.PlainText)
            self._fields[key] = value
            self.form.addRow(label, value)

        self.organizations = QLabel()
        self.organizations.setObjectName("detailOrganizations")
        self.organizations.setWordWrap(True)
        self.organizations.setTextFormat(Qt.TextFormat.RichText)
        self.summary = QLabel()
        self.summary.setObjectName("detailSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for shown_as_typed in (self.kind, self.title, self.subtitle, self.summary, self.notes):
            shown_as_typed.setTextFormat(Qt.TextFormat.PlainText)

        self.tags = TagEditor()
        self.tags.setObjectName("tagEditor")
        self.tags.add_requested.connect(lambda name: self._emit(self.tag_add_requested, name))
        self.tags.remove_requested.connect(lambda name: self._emit(self.tag_remove_requested, name))
        self.tags.tag_activated.connect(self.tag_activated)

        self.attachments = FileStrip()
        self.attachments.currentItemChanged.connect(self._attachment_changed)
        self.attachments.itemActivated.connect(
            lambda item: self.open_attachment_requested.emit(item.data(AttachmentRole))
        )
        self.attachments.remove_requested.connect(self._detach_current)
        self.attachments.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.attachments.customContextMenuRequested.connect(self._file_menu)
        self.file_menu: QMenu | None = None
        self.open_button = self._tool(
            "open-external", "Open a read-only copy in the system's application", self._open_current
        )
        self.reveal_button = self._tool(
            "folder", "Show the stored file in its folder (the catalog names it by its checksum)", self._reveal_current
        )
        self.detach_button = self._tool("close", "Remove the file from the document", self._detach_current)
        self.files_head = QWidget()
        files_row = QHBoxLayout(self.files_head)
        files_row.setContentsMargins(0, 0, 0, 0)
        self.files_label = self._section("Files")
        self.files_label.setStyleSheet("margin-top: 0px;")
        files_row.addWidget(self.files_label, 1)
        for button in (self.open_button, self.reveal_button, self.detach_button):
            files_row.addWidget(button)

        info = QWidget()
        info.setObjectName("detailInfo")
        column = QVBoxLayout(info)
        column.addLayout(head)
        column.addWidget(self.title)
        column.addWidget(self.subtitle)
        column.addWidget(self.tags)  # tags near the top: they are edited often
        column.addLayout(self.form)
        column.addWidget(self._section("Organizations"))
        column.addWidget(self.organizations)
        column.addWidget(self._section("Summary"))
        column.addWidget(self.summary)
        self.notes_label = self._section("Notes")
        column.addWidget(self.notes_label)
        column.addWidget(self.notes)
        column.addStretch(1)
        self._info_column = column  # add_section() puts more below
        scroll = QScrollArea()
        scroll.setWidget(info)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to what can be used, not to the frame

        self.preview = PreviewWidget()
        files = QWidget()
        files.setObjectName("detailFiles")
        files_column = QVBoxLayout(files)
        files_column.setContentsMargins(0, 4, 0, 0)
        files_column.setSpacing(2)
        files_column.addWidget(self.files_head)
        files_column.addWidget(self.attachments)
        files_column.addWidget(self.preview, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("detailSplitter")
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(files)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([340, 360])
        # The share of the height the user gave the files and preview, once
        # they moved the splitter (setSizes does not emit splitterMoved).
        self.preview_share: float | None = None
        self.splitter.splitterMoved.connect(self._splitter_moved)

        self.placeholder = QLabel("Select a document to see its details.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.splitter)
        self.show_document(None)

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls() and self.document is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):
        paths = local_paths(event.mimeData())
        if paths and self.document is not None:
            event.acceptProposedAction()
            self.files_dropped.emit(self.document.id, paths)
        else:
            event.ignore()

    def _tool(self, icon_name: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        set_icon(button, icon_name)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def add_section(self, widget: QWidget, title: str = "") -> None:
        """A section of its own below the others (the researcher's notes, the
        related documents), under ``title`` if given; it follows ``document_shown``."""
        column = self._info_column
        if title:
            column.insertWidget(column.count() - 1, self._section(title))
        column.insertWidget(column.count() - 1, widget)

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text.upper())
        label.setObjectName("sectionLabel")
        return label

    def _emit(self, signal, *args) -> None:
        if self.document is not None:
            signal.emit(self.document.id, *args)

    # -- showing ---------------------------------------------------------------

    @property
    def document_id(self) -> int | None:
        return self.document.id if self.document else None

    def show_document(self, document: DocumentDetail | None) -> None:
        previous = self.document
        self.document = document
        if document is None or previous is None or previous.id != document.id:
            self.tags.clear_entry()  # text typed for one document is not for the next
        self.placeholder.setVisible(document is None)
        self.splitter.setVisible(document is not None)
        self.document_shown.emit(document.id if document is not None else None)
        if document is None:
            self.preview.show_message("Select a document with a file to preview it.")
            return
        self.kind.setText(kind_label(document.kind).upper())
        self.kind.setToolTip(kind_label(document.kind))
        self.title.setText(safe_display_name(document.title))
        self.subtitle.setText(safe_display_name(document.subtitle or ""))
        self.subtitle.setVisible(bool(document.subtitle))
        values = {
            "date": document.date or "—",
            "language": LANGUAGES.get(document.language or "", document.language or "—"),
            "event": document.event or "—",
            "session": document.session or "—",
            "places": ", ".join(document.places) or "—",
            "source": document.source or "—",
            "authors": "; ".join(p.display + (" (ed.)" if p.role == "editor" else "") for p in document.persons) or "—",
            "citation": " · ".join(
                f"{label} {value}" if label else value
                for label, value in (
                    ("", document.place_published),
                    ("Report no.", document.report_number),
                    ("pp.", document.pages),
                    ("DOI", document.doi),
                    ("ISBN", document.isbn),
                    ("", document.url),
                )
                if value
            )
            or "—",
            "modified": document.modified_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        }
        for key, value in values.items():
            self._fields[key].setText(value)
            # rows without a value are left out rather than shown as "—"
            self.form.setRowVisible(self._fields[key], value != "—")
        self._show_organizations(document)
        self.tags.set_tags(document.tags)
        self.summary.setText(document.summary or "—")
        self.notes.setText(document.notes)
        self.notes.setVisible(bool(document.notes))
        self.notes_label.setVisible(bool(document.notes))
        self._show_attachments(document.attachments, keep=previous is not None and previous.id == document.id)
        self._chain_focus()

    def _chain_focus(self) -> None:
        """Tab through the pane in the order it reads: its buttons, the tags
        and the box to add one, the files, the preview (chips are made
        anew for each document, so they would come last)."""
        p = self.preview
        chain = [
            self.attach_button,
            self.edit_button,
            self.delete_button,
            *self.tags.chips(),
            self.tags.line,
            self.attachments,
            self.open_button,
            self.reveal_button,
            self.detach_button,
            p.previous_page,
            p.page_box,
            p.next_page,
            p.zoom_out,
            p.zoom_in,
            p.zoom_fit,
            p.scroll_area,
            p.text,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _show_organizations(self, document: DocumentDetail) -> None:
        if document.organizations:
            muted = muted_color()
            self.organizations.setText(
                "<br>".join(
                    f"{html.escape(o.name)} <span style='color:{muted}'>— {html.escape(o.role)}</span>"
                    for o in document.organizations
                )
            )
        else:
            self.organizations.setText("<i>none</i>")

    def restyle(self) -> None:
        """The palette changed: colours baked into labels and chips follow."""
        self.attachments.restyle()
        if self.document is not None:
            self._show_organizations(self.document)
            self.tags.set_tags(self.document.tags)

    # (HitPlace, query) of a search hit to open at, set before show_document; taken by the preview.
    wanted_place = None
    place_shown = None  # the last one the preview opened

    def take_place(self, attachment_id: int):
        """The hit's (page, query) for this file, once; None when it was not the hit's."""
        wanted, self.wanted_place = self.wanted_place, None
        if wanted is None or wanted[0].attachment_id != attachment_id:
            self.place_shown = None
            return None
        self.place_shown = wanted
        return wanted[0].page, wanted[1]

    def open_place(self, place) -> None:
        """Show the file of a search hit's (HitPlace, query) at its page, the
        document being shown already (the hit clicked again after a new search)."""
        if place is None or self.document is None or place == self.place_shown:
            return
        for row in range(self.attachments.count()):
            if self.attachments.item(row).data(AttachmentRole).id == place[0].attachment_id:
                self.wanted_place = place
                if self.attachments.currentRow() == row:
                    self.attachment_selected.emit(self.attachments.item(row).data(AttachmentRole))
                else:
                    self.attachments.setCurrentRow(row)  # emits attachment_selected
                return

    def _show_attachments(self, attachments: tuple[AttachmentInfo, ...], keep: bool) -> None:
        current = self.current_attachment() if keep else None
        if self.wanted_place is not None:
            current = next((a for a in attachments if a.id == self.wanted_place[0].attachment_id), current)
        self.attachments.show_attachments(attachments)
        self.files_label.setText(f"FILES ({len(attachments)})" if attachments else "FILES")
        self.files_head.setVisible(bool(attachments))
        self.attachments.setVisible(bool(attachments))
        row = 0
        if current is not None:
            for i, attachment in enumerate(attachments):
                if attachment.id == current.id:
                    row = i
        self._fit_preview(bool(attachments))
        if attachments:
            self.attachments.setCurrentRow(row)  # emits attachment_selected
        else:
            self.preview.show_message("No file attached. Drop files here or use Attach (Ctrl+Shift+A).")
            self.attachment_selected.emit(None)

    def _splitter_moved(self, _pos: int, _index: int) -> None:
        sizes = self.splitter.sizes()
        if self.document is not None and self.document.attachments and sum(sizes) > 0:
            self.preview_share = sizes[1] / sum(sizes)

    def _fit_preview(self, has_files: bool) -> None:
        """Without files the preview is a slim drop strip, so the metadata
        shows whole; with files it gets the user's share of the height, or
        until they chose one, at least half."""
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total <= 0:
            return
        if not has_files:
            self.splitter.setSizes([total - _EMPTY_PREVIEW_HEIGHT, _EMPTY_PREVIEW_HEIGHT])
        elif self.preview_share is not None:
            below = round(total * self.preview_share)
            self.splitter.setSizes([total - below, below])
        elif sizes[1] < total // 2:
            self.splitter.setSizes([total - total // 2, total // 2])

    def set_thumbnail(self, attachment_id: int, image) -> None:
        self.attachments.set_thumbnail(attachment_id, image)

    def current_attachment(self) -> AttachmentInfo | None:
        return self.attachments.current_attachment()

    def _attachment_changed(self, current, _previous) -> None:
        self.attachment_selected.emit(current.data(AttachmentRole) if current else None)

    def set_selection(self, count: int, position: int) -> None:
        """``count`` documents are selected, the one shown is the
        ``position``-th (from 1): the buttons say what they act on."""
        self.selection_label.setText(f"{position} of {count} selected")
        self.selection_label.setVisible(count > 1)
        what = "the document" if count <= 1 else f"the {count} selected documents"
        self.delete_button.setToolTip(f"Delete {what} (Del)")
        one = count <= 1
        self.edit_button.setEnabled(one)
        self.attach_button.setEnabled(one)
        self.edit_button.setToolTip("Edit the document (Ctrl+E)" if one else "Select one document to edit it")
        self.attach_button.setToolTip(
            "Attach files… (or drop files here)" if one else "Select one document to attach files to it"
        )

    def _file_menu(self, pos) -> None:
        item = self.attachments.itemAt(pos)
        if item is None:
            return
        self.attachments.setCurrentItem(item)
        attachment = item.data(AttachmentRole)
        if self.file_menu is not None:
            self.file_menu.deleteLater()
        menu = self.file_menu = QMenu(self)
        menu.setObjectName("fileMenu")
        for text, signal in (
            ("&Open", self.open_attachment_requested),
            ("Show in &folder", self.reveal_attachment_requested),
            ("&Save a copy as…", self.save_attachment_requested),
        ):
            menu.addAction(text, partial(signal.emit, attachment))
        menu.addSeparator()
        menu.addAction("&Remove from the document…", self._detach_current)
        menu.popup(self.attachments.viewport().mapToGlobal(pos))

    def _open_current(self) -> None:
        if self.current_attachment():
            self.open_attachment_requested.emit(self.current_attachment())

    def _reveal_current(self) -> None:
        if self.current_attachment():
            self.reveal_attachment_requested.emit(self.current_attachment())

    def _detach_current(self) -> None:
        if self.current_attachment() and self.document:
            self.detach_requested.emit(self.document.id, self.current_attachment())


DetailDocument = DocumentDetail
