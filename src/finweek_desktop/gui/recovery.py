"""A damaged catalog at start-up: say so in plain words and offer to recover
it (``core.backup.recover``) rather than stopping at an error."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.backup import RecoveryRefused, RecoveryReport, recover_catalog
from .errors import describe
from .tasks import Progress, TaskRunner

_USED = {
    "backup": "the latest automatic backup",
    "sqlite": "what could still be read of the damaged database",
    "index": "the copy of the documents kept in the search index",
}


class RecoverDialog(QDialog):
    """Explains the damage; "Recover" runs the recovery on a worker with its
    progress, then shows what it used and what was lost; "Open the catalog"
    (``recovered``) or "Quit" (``quit_requested``)."""

    recovered = Signal(object)  # RecoveryReport, when the user goes on to the catalog
    quit_requested = Signal()

    def __init__(self, data_dir: Path, message: str, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recoverDialog")
        self.setWindowTitle("Finance Week — the catalog is damaged")
        self.setModal(True)
        self.data_dir = Path(data_dir)
        self.runner = runner
        self.report: RecoveryReport | None = None

        self.heading = QLabel("<b>The catalog could not be opened: its database is damaged.</b>")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.text = QLabel(
            "A failing disk, a crash or a sync tool can damage the file that holds the catalog. "
            "Finance Week can build a working catalog again, from the best source there is: the latest "
            "automatic backup, else what can still be read of the damaged file, else the copy of the "
            "documents kept in the search index. The attached files are kept and linked again.\n\n"
            "The damaged file is kept aside, never deleted, and you will see what could not be recovered."
        )
        # What SQLite or the check said, without the command-line advice that follows it.
        self.details = QLabel(message.split(" Nothing was changed.")[0].strip())
        self.details.setObjectName("damageDetails")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet("color: palette(placeholder-text);")
        for label in (self.text, self.details):
            label.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("recoverStatus")
        self.status.setWordWrap(True)
        self.status.hide()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.hide()

        self.buttons = QDialogButtonBox()
        self.recover_button = QPushButton("Recover")
        self.recover_button.setObjectName("recoverButton")
        self.recover_button.setDefault(True)
        self.open_button = QPushButton("Open the catalog")
        self.open_button.setObjectName("openRecovered")
        self.quit_button = QPushButton("Quit")
        self.quit_button.setObjectName("quitButton")
        self.buttons.addButton(self.recover_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.open_button.hide()  # (adding a button shows it)
        self.recover_button.clicked.connect(self.start)
        self.open_button.clicked.connect(self._open)
        self.quit_button.clicked.connect(self._quit)

        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(self.heading)
        layout.addWidget(self.text)
        layout.addWidget(self.details)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def reject(self) -> None:  # Escape, the window's close button
        if not self.bar.isVisible():
            self._quit()

    def _quit(self) -> None:
        self.done(QDialog.DialogCode.Rejected)
        self.quit_requested.emit()

    def start(self) -> None:
        self.recover_button.setEnabled(False)
        self.quit_button.setEnabled(False)
        self.status.setText("Recovering…")
        self.status.show()
        self.bar.show()
        progress = Progress()
        progress.changed.connect(self._progress)
        data_dir = self.data_dir
        self.runner.run(
            lambda: recover_catalog(data_dir, progress=lambda stage, done, total: progress.report(done, total, stage)),
            self._finished,
            write=True,
        )

    def _progress(self, done: int, total: int, stage: str) -> None:
        self.status.setText(f"{stage}…")
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        else:
            self.bar.setRange(0, 0)

    def _finished(self, report: RecoveryReport | None, error: BaseException | None) -> None:
        self.bar.hide()
        self.quit_button.setEnabled(True)
        if error is not None:
            why = str(error) if isinstance(error, RecoveryRefused) else describe(error)
            self.status.setText(f"The catalog could not be recovered: {why}")
            return
        assert report is not None
        self.report = report
        lines = [
            f"<b>Recovered {report.documents_recovered} documents</b> from {_USED[report.source]}; "
            f"{report.attachments_relinked} attached files linked again."
        ]
        if report.damaged_file_kept:
            lines.append(f"The damaged file is kept at {_escape(report.damaged_file_kept)}.")
        if report.lost:
            lines.append("Not recovered:<ul>" + "".join(f"<li>{_escape(line)}</li>" for line in report.lost) + "</ul>")
        else:
            lines.append("Nothing the search index shows was lost.")
        self.heading.setText("<b>The catalog was recovered.</b>")
        self.text.hide()
        self.details.hide()
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setText("<p>" + "</p><p>".join(lines) + "</p>")
        self.recover_button.hide()
        self.quit_button.hide()
        self.open_button.show()
        self.open_button.setDefault(True)
        self.open_button.setFocus()
        self.adjustSize()

    def _open(self) -> None:
        self.done(QDialog.DialogCode.Accepted)
        self.recovered.emit(self.report)


def _escape(text: str) -> str:
    return html.escape(text)
