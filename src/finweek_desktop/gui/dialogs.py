"""Dialogs: a document's fields (new and edit), a tag name with completion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.catalog.common import EDITABLE_FIELDS, clean_citation_field
from ..core.dates import normalize_date
from ..core.records import CITATION_FIELDS, DocumentDetail, NewDocument, PersonName
from ..core.vocabulary import LANGUAGES, DocumentKind, OrganizationRole
from .confirm import plain_buttons
from .theme import error_text_color, kind_icon, set_icon
from .widgets import TagLineEdit, TagListEdit

# Whether the core edits a document's session (update_document(session_id=…)).
SESSION_EDITABLE = "session_id" in EDITABLE_FIELDS
TITLE_BAR_ROOM = 48  # px of a screen's height left to a dialog's title bar and frame


NameRole = Qt.ItemDataRole.UserRole + 1


class OrganizationCompleter(QCompleter):
    """Matches a name or any alias ("CEIS" offers China Economic
    Information Service) and completes to the name."""

    def pathFromIndex(self, index) -> str:
        return index.data(NameRole) or super().pathFromIndex(index)


def organization_model(organizations, parent) -> QStandardItemModel:
    """One row per organization: "Name (alias, alias)" to match and to
    show, the name to write."""
    model = QStandardItemModel(parent)
    for org in organizations:
        name = org if isinstance(org, str) else org.name
        aliases = () if isinstance(org, str) else org.aliases
        item = QStandardItem(f"{name} ({', '.join(aliases)})" if aliases else name)
        item.setData(name, NameRole)
        model.appendRow(item)
    return model


class OrganizationTable(QWidget):
    """Rows of (organization, role); names complete from the catalog, by
    their aliases too."""

    def __init__(self, organizations, parent=None):
        super().__init__(parent)
        self._names = organization_model(organizations, self)
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("organizationRows")
        self.table.setHorizontalHeaderLabels(["Organization", "Role"])
        # The name takes what the role leaves: no horizontal scroll bar, no clipped "Role".
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(1, 140)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(110)
        add = QPushButton("Add")
        add.clicked.connect(lambda: self.add_row("", OrganizationRole.PUBLISHER.value))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def add_row(self, name: str, role: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        editor = QLineEdit(name)
        editor.setObjectName("organizationName")
        completer = OrganizationCompleter(self._names, editor)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        editor.setCompleter(completer)
        editor.setFrame(False)
        self.table.setCellWidget(row, 0, editor)
        roles = QComboBox()
        for r in OrganizationRole:
            roles.addItem(r.value, r.value)
        roles.setCurrentIndex(max(0, roles.findData(role)))
        self.table.setCellWidget(row, 1, roles)
        if not name:
            editor.setFocus()

    def links(self) -> tuple[tuple[str, str], ...]:
        result = []
        for row in range(self.table.rowCount()):
            name = self.table.cellWidget(row, 0).text().strip()
            if name:
                result.append((name, self.table.cellWidget(row, 1).currentData()))
        return tuple(result)


class DocumentDialog(QDialog):
    """New document (with tags and files) or edit of an existing one."""

    def __init__(
        self,
        organizations,
        tag_names: list[str],
        document: DocumentDetail | None = None,
        sessions=(),
        can_attach: bool = True,
        parent=None,
    ):
        """``organizations``: OrganizationInfo records (or names) to complete from."""
        super().__init__(parent)
        self.setObjectName("documentDialog")
        self.document = document
        self.setWindowTitle("Edit document" if document else "New document")
        self.setMinimumWidth(620)

        self.kind = QComboBox()
        self.kind.setObjectName("kindCombo")
        for kind in DocumentKind:
            self.kind.addItem(kind_icon(kind.value), kind.label, kind.value)
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("titleEdit")
        self.title_edit.setPlaceholderText("Required")
        self.subtitle = QLineEdit()
        self.date = QLineEdit()
        self.date.setObjectName("dateEdit")
        self.date.setPlaceholderText("2020, 2020-11 or 2020-11-20")
        self.language = QComboBox()
        self.language.addItem("—", "")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.session = QComboBox()
        self.session.addItem("—", None)
        for info in sessions:
            self.session.addItem(info.name, info.id)
        self.organizations = OrganizationTable(organizations)
        self.tags = TagListEdit()  # each name of the list completes
        self.tags.setObjectName("tagsEdit")
        self.tags.set_names(tag_names)
        self.summary = QPlainTextEdit()
        self.summary.setObjectName("summaryEdit")
        self.summary.setTabChangesFocus(True)
        self.summary.setFixedHeight(90)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(60)
        self.source = QLineEdit()
        self.authors = QLineEdit()
        self.authors.setObjectName("authorsEdit")
        self.authors.setPlaceholderText("Family, Given; or a name in full (王小明); separate people with ;")
        self.editors = QLineEdit()
        self.editors.setObjectName("editorsEdit")
        self.editors.setPlaceholderText("Editors, the same way")
        # The citation fields, two to a row: (field, label, placeholder)
        self.citation: dict[str, QLineEdit] = {}
        citation = QGridLayout()
        citation.setContentsMargins(0, 0, 0, 0)
        for n, (name, label, hint) in enumerate(
            (
                ("place_published", "Place", "of publication"),
                ("report_number", "Report no.", ""),
                ("doi", "DOI", "10.xxxx/…"),
                ("isbn", "ISBN", ""),
                ("url", "URL", "https://…"),
                ("pages", "Pages", "12-34"),
            )
        ):
            edit = QLineEdit()
            edit.setObjectName(f"{name}Edit")
            edit.setPlaceholderText(hint)
            self.citation[name] = edit
            row, column = divmod(n, 2)
            if column:
                citation.addWidget(QLabel(label), row, 2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            else:
                citation.addWidget(QLabel(label), row, 0)
            citation.addWidget(edit, row, column * 2 + 1)
        citation.setColumnStretch(1, 3)
        citation.setColumnStretch(3, 2)
        citation_box = QWidget()
        citation_box.setLayout(citation)

        self.files = QListWidget()
        self.files.setObjectName("fileList")
        self.files.setFixedHeight(70)
        add_files = QPushButton("Add files…")
        set_icon(add_files, "attach")
        add_files.setObjectName("addFilesButton")
        add_files.clicked.connect(self._choose_files)
        files_row = QHBoxLayout()
        files_row.addWidget(self.files, 1)
        files_row.addWidget(add_files, 0, Qt.AlignmentFlag.AlignTop)
        self.file_chooser: Callable[[], list[Path]] | None = None  # set by the window

        form = QFormLayout()
        form.addRow("Kind", self.kind)
        form.addRow("Title", self.title_edit)
        form.addRow("Subtitle", self.subtitle)
        form.addRow("Date", self.date)
        form.addRow("Language", self.language)
        form.addRow("Session", self.session)
        form.addRow("Organizations", self.organizations)
        form.addRow("Authors", self.authors)
        form.addRow("Editors", self.editors)
        form.addRow("Citation", citation_box)
        if document is None:
            form.addRow("Tags", self.tags)
        form.addRow("Summary", self.summary)
        form.addRow("Notes", self.notes)
        form.addRow("Source", self.source)
        if document is None and can_attach:
            form.addRow("Files", files_row)

        self.error = QLabel()
        self.error.setObjectName("dialogError")
        self.error.setStyleSheet(f"color: {error_text_color()};")
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Save" if document else "Create")
        self.buttons.accepted.connect(self._validate)
        self.buttons.rejected.connect(self.reject)

        # The fields scroll on a short screen (1024x700: the new document's
        # form is 760 px tall); the error and the buttons always show.
        body = self.fields = QWidget()
        body.setObjectName("documentFields")
        body.setLayout(form)
        form.setContentsMargins(0, 0, 0, 0)
        self.fields_scroll = QScrollArea()
        self.fields_scroll.setObjectName("documentFieldsScroll")
        self.fields_scroll.setWidgetResizable(True)
        self.fields_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.fields_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.fields_scroll.setWidget(body)
        layout = self.main_layout = QVBoxLayout(self)
        layout.addWidget(self.fields_scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        plain_buttons(self)
        if document is not None:
            self._fill(document)
        self._fit_to_screen(parent)
        # Typing starts the title: with the focus on Kind, letters picked a kind.
        self.title_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fit_to_screen(self, parent) -> None:
        """As tall as the fields, no taller than the screen the window is on
        (its title bar included): a short screen scrolls the fields."""
        screen = (parent.screen() if parent is not None else None) or self.screen()
        layout = self.main_layout
        margins = layout.contentsMargins()
        chrome = margins.top() + margins.bottom() + layout.spacing() + self.buttons.sizeHint().height()
        fields = self.fields.sizeHint()
        wanted = fields.height() + 2 * self.fields_scroll.frameWidth() + chrome
        room = screen.availableGeometry().height() - TITLE_BAR_ROOM if screen is not None else wanted
        scrollbar = self.fields_scroll.verticalScrollBar().sizeHint().width() if wanted > room else 0
        width = max(self.minimumWidth(), fields.width() + margins.left() + margins.right() + scrollbar)
        self.resize(width, max(min(wanted, room), 240))

    def _fill(self, d: DocumentDetail) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(d.kind)))
        self.title_edit.setText(d.title)
        self.subtitle.setText(d.subtitle or "")
        self.date.setText(d.date or "")
        self.language.setCurrentIndex(max(0, self.language.findData(d.language or "")))
        self.session.setCurrentIndex(max(0, self.session.findData(d.session_id)))
        if not SESSION_EDITABLE:
            self.session.setEnabled(False)
            self.session.setToolTip("The catalog cannot move a document to another session yet")
        for ref in d.organizations:
            self.organizations.add_row(ref.name, ref.role)
        self.summary.setPlainText(d.summary)
        self.notes.setPlainText(d.notes)
        self.source.setText(d.source)
        self.authors.setText("; ".join(p.display for p in d.persons if p.role == "author"))
        self.editors.setText("; ".join(p.display for p in d.persons if p.role == "editor"))
        for name, edit in self.citation.items():
            edit.setText(getattr(d, name) or "")
        for edit in (self.title_edit, self.subtitle, self.source, self.authors, *self.citation.values()):
            edit.setCursorPosition(0)  # long texts show their start

    def _choose_files(self) -> None:
        if self.file_chooser is None:
            return
        for path in self.file_chooser():
            self.files.addItem(str(path))

    def file_paths(self) -> list[Path]:
        return [Path(self.files.item(i).text()) for i in range(self.files.count())]

    def tag_names(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.tags.text().split(",") if t.strip())

    def _validate(self) -> None:
        problems = []
        if not self.title_edit.text().strip():
            problems.append("The title is required.")
        try:
            normalize_date(self.date.text().strip() or None)
        except ValueError as exc:
            problems.append(str(exc)[:1].upper() + str(exc)[1:] + ("" if str(exc).endswith(".") else "."))
        for name, edit in self.citation.items():
            try:
                clean_citation_field(name, edit.text())
            except ValueError as exc:
                problems.append(str(exc)[:1].upper() + str(exc)[1:] + ("" if str(exc).endswith(".") else "."))
        if problems:
            self.error.setText(" ".join(problems))
            self.error.show()
            return
        self.accept()

    def changes(self) -> dict:
        """The editable fields, for update_document."""
        return {
            "kind": self.kind.currentData(),
            "title": self.title_edit.text().strip(),
            "subtitle": self.subtitle.text().strip(),
            "date": self.date.text().strip() or None,
            "language": self.language.currentData() or None,
            "summary": self.summary.toPlainText().strip(),
            "notes": self.notes.toPlainText().strip(),
            "source": self.source.text().strip(),
            **{name: self.citation[name].text().strip() or None for name in CITATION_FIELDS},
        }

    def persons(self) -> tuple[PersonName, ...]:
        """The authors then the editors, each list in the order typed."""
        return tuple(
            PersonName.parse(name, role)
            for edit, role in ((self.authors, "author"), (self.editors, "editor"))
            for name in edit.text().split(";")
            if name.strip()
        )

    def edit_changes(self) -> dict:
        """``changes()`` for update_document, with the session when it moved."""
        changes = self.changes()
        if SESSION_EDITABLE and self.document is not None and self.session.currentData() != self.document.session_id:
            changes["session_id"] = self.session.currentData()
        return changes

    def organization_links(self) -> tuple[tuple[str, str], ...]:
        return self.organizations.links()

    def new_document(self) -> NewDocument:
        c = self.changes()
        return NewDocument(
            kind=c["kind"],
            title=c["title"],
            subtitle=c["subtitle"] or None,
            date=c["date"],
            language=c["language"],
            summary=c["summary"],
            notes=c["notes"],
            source=c["source"],
            tags=self.tag_names(),
            organizations=self.organization_links(),
            session_id=self.session.currentData(),
            persons=self.persons(),
            **{name: c[name] for name in CITATION_FIELDS},
        )


class TagNameDialog(QDialog):
    """Ask for a tag name, completing from the existing ones."""

    def __init__(self, title: str, prompt: str, names: list[str], text: str = "", parent=None):
        super().__init__(parent)
        self.setObjectName("tagNameDialog")
        self.setWindowTitle(title)
        self.edit = TagLineEdit()
        self.edit.setObjectName("tagNameEdit")
        self.edit.set_names(names)
        self.edit.setPlaceholderText("Tag name")
        self.edit.setText(text)
        self.edit.selectAll()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        label = QLabel(prompt)
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.edit)
        layout.addWidget(buttons)
        plain_buttons(self)
        self.setMinimumWidth(380)

    def _accept(self) -> None:
        if self.edit.text().strip():
            self.accept()

    def name(self) -> str:
        return self.edit.text().strip()


__all__ = ["DocumentDialog", "OrganizationTable", "TagNameDialog"]
