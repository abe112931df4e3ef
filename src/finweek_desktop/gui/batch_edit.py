"""Batch edit: the kind, date or session of many selected documents at once,
or an organization added to each with its role. Each field is changed only
when ticked; the whole edit is one write and one undo step (core:
catalog/batch.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from ..core.dates import normalize_date
from ..core.vocabulary import DocumentKind, OrganizationRole
from .dialogs import OrganizationCompleter, organization_model
from .theme import error_text_color, kind_icon


class BatchEditDialog(QDialog):
    def __init__(self, count: int, organizations=(), sessions=(), parent=None):
        super().__init__(parent)
        self.setObjectName("batchEditDialog")
        self.setWindowTitle(f"Edit {count} documents" if count != 1 else "Edit 1 document")
        self.setMinimumWidth(580)  # an organization's full name fits, and the date's hint

        intro = QLabel(
            f"Tick what to change on each of the {count} selected documents.\nCtrl+Z undoes the whole edit at once."
            if count != 1
            else "Tick what to change. Ctrl+Z undoes it."
        )
        intro.setWordWrap(True)

        self.kind_box = QCheckBox("Kind")
        self.kind_box.setObjectName("batchKindBox")
        self.kind = QComboBox()
        self.kind.setObjectName("batchKind")
        for kind in DocumentKind:
            self.kind.addItem(kind_icon(kind.value), kind.label, kind.value)

        self.date_box = QCheckBox("Date")
        self.date_box.setObjectName("batchDateBox")
        self.date = QLineEdit()
        self.date.setObjectName("batchDate")
        self.date.setPlaceholderText("YYYY, YYYY-MM or YYYY-MM-DD; empty clears it")
        self.date.setToolTip("A year, a month or a day; ticked and left empty, it clears every selected date")

        self.session_box = QCheckBox("Session")
        self.session_box.setObjectName("batchSessionBox")
        self.session = QComboBox()
        self.session.setObjectName("batchSession")
        self.session.addItem("— none —", None)
        for info in sessions:
            self.session.addItem(info.name, info.id)

        self.org_box = QCheckBox("Add organization")
        self.org_box.setObjectName("batchOrgBox")
        self.organization = QLineEdit()
        self.organization.setObjectName("batchOrganization")
        self.organization.setPlaceholderText("Name or alias")
        self.organization.setToolTip("An organization of the catalog, by name or alias; a new name creates it")
        completer = OrganizationCompleter(organization_model(organizations, self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.organization.setCompleter(completer)
        self.role = QComboBox()
        self.role.setObjectName("batchRole")
        for role in OrganizationRole:
            self.role.addItem(role.value.capitalize(), role.value)
        self.role.setToolTip("The organization's role in each document")

        grid = QGridLayout()
        grid.addWidget(self.kind_box, 0, 0)
        grid.addWidget(self.kind, 0, 1, 1, 2)
        grid.addWidget(self.date_box, 1, 0)
        grid.addWidget(self.date, 1, 1, 1, 2)
        grid.addWidget(self.session_box, 2, 0)
        grid.addWidget(self.session, 2, 1, 1, 2)
        grid.addWidget(self.org_box, 3, 0)
        grid.addWidget(self.organization, 3, 1)
        grid.addWidget(self.role, 3, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 1)
        # Touching a field ticks it.
        self.kind.activated.connect(lambda _i: self.kind_box.setChecked(True))
        self.date.textEdited.connect(lambda _t: self.date_box.setChecked(True))
        self.session.activated.connect(lambda _i: self.session_box.setChecked(True))
        self.organization.textEdited.connect(lambda t: self.org_box.setChecked(bool(t.strip())))

        self.error = QLabel()
        self.error.setObjectName("batchError")
        self.error.setStyleSheet(f"color: {error_text_color()};")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def options(self) -> dict:
        """Keyword arguments for ``service.batch.edit`` (ValueError when invalid)."""
        options: dict = {}
        if self.kind_box.isChecked():
            options["kind"] = self.kind.currentData()
        if self.date_box.isChecked():
            options["date"] = normalize_date(self.date.text())  # raises on a date it cannot read
        if self.session_box.isChecked():
            options["session_id"] = self.session.currentData()
        if self.org_box.isChecked():
            name = self.organization.text().strip()
            if not name:
                raise ValueError("type the organization's name, or untick Add organization")
            options["add_organizations"] = [(name, self.role.currentData())]
        if not options:
            raise ValueError("tick at least one thing to change")
        return options

    def accept(self) -> None:
        try:
            self.options()
        except ValueError as exc:
            self.error.setText(str(exc)[:1].upper() + str(exc)[1:] + ".")
            return
        super().accept()
