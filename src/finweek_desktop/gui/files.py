"""Files in the window: attaching (dialog or drop), bulk import with a
cancellable progress bar, duplicate reports, previews and thumbnails, opening
a file in the system's application and showing it in its folder (desktop.py).

Everything that reads or renders a file runs on the task runner; the results
come back to the main thread, where the widgets are updated.
"""

from __future__ import annotations

import html
import logging
import shutil
from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
)
from shiboken6 import isValid

from ..core.attachments.filetypes import PAGED_IMAGES, PDF, THUMBNAIL_IMAGES
from ..core.attachments.linked_images import LinkedImages
from ..core.catalog.folders import scan
from ..core.dates import normalize_date
from ..core.display import safe_display_name
from ..core.vocabulary import DocumentKind
from . import desktop
from .confirm import confirm_destructive, plain_buttons
from .errors import describe
from .operations import FileReport
from .tasks import Progress
from .theme import error_text_color, kind_icon
from .widgets import TagListEdit
from .window_contract import WindowContract

log = logging.getLogger(__name__)
THUMBNAIL_SIZE = 128  # px, drawn at 64 in the file strip: sharp on a 2x screen


class ImportDialog(QDialog):
    """What the documents made from the chosen files should be."""

    def __init__(self, count: int, tag_names: list[str], parent=None, organizations=(), sessions=(), folders: int = 0):
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle("Import files")
        self.kind = QComboBox()
        self.kind.setObjectName("importKind")
        for kind in DocumentKind:
            self.kind.addItem(kind_icon(kind.value), kind.label, kind.value)
        self.tags = TagListEdit()  # each name of the list completes
        self.tags.setObjectName("importTags")
        self.tags.set_names(tag_names)
        self.tags.setPlaceholderText("Optional, comma-separated")
        # What every document of the batch gets besides its file
        self.date = QLineEdit()
        self.date.setObjectName("importDate")
        self.date.setPlaceholderText("Optional: 2020, 2020-11 or 2020-11-20")
        self.organization = QComboBox()
        self.organization.setObjectName("importOrganization")
        self.organization.setEditable(True)
        self.organization.addItem("")
        for info in organizations:
            self.organization.addItem(getattr(info, "name", str(info)))
        edit = self.organization.lineEdit()
        if edit is not None:  # editable: it has one
            edit.setPlaceholderText("Optional: the publisher")
        self.session = QComboBox()
        self.session.setObjectName("importSession")
        self.session.addItem("—", None)
        for info in sessions:
            self.session.addItem(info.name, info.id)
        self.error = QLabel()
        self.error.setObjectName("importError")
        self.error.setStyleSheet(f"color: {error_text_color()};")
        self.error.hide()
        where = f" found in {folders} folder{'s' if folders != 1 else ''}" if folders else ""
        intro = QLabel(
            f"Create one document for each of the {count} file{'s' if count != 1 else ''}{where}. "
            "Titles come from the files (their metadata, first heading or name). "
            "Files already in the catalog are reported and skipped."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Kind", self.kind)
        form.addRow("Tags", self.tags)
        form.addRow("Date", self.date)
        form.addRow("Organization", self.organization)
        form.addRow("Session", self.session)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self._validate)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        plain_buttons(self)
        self.setMinimumWidth(440)

    def tag_names(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.tags.text().split(",") if t.strip())

    def _validate(self) -> None:
        try:
            normalize_date(self.date.text())
        except ValueError as exc:
            self.error.setText(str(exc)[:1].upper() + str(exc)[1:] + ".")
            self.error.show()
            return
        self.accept()

    def batch(self) -> dict:
        """What every document gets: for ``Operations.import_files``."""
        organization = self.organization.currentText().strip()
        return {
            "date": normalize_date(self.date.text()),
            "organizations": ((organization, "publisher"),) if organization else (),
            "session_id": self.session.currentData(),
        }


def find_places(runner, service, attachment_id: int, text: str, preview) -> None:
    """Look for ``text`` in a file on the runner; the preview gets (page 0-based, rectangle) pairs."""
    pages = preview.page_total if preview.is_pdf else 1

    def found(matches, error):
        if error is None:
            preview.set_find_results(text, [((page or 1) - 1, rect) for page, rect in matches])

    runner.run(lambda: service.highlights.find(attachment_id, text, pages), found)


class FileActionsMixin(WindowContract):
    """The file-related behaviour of MainWindow (kept apart for readability)."""

    _preview_generation = 0
    _import_progress: Progress | None = None

    # -- choosing files --------------------------------------------------------

    def choose_files(self, title: str = "Choose files to attach") -> list[Path]:
        names, _filter = QFileDialog.getOpenFileNames(self, title, str(self.settings.value("paths/lastDir", "")))
        if names:
            self.settings.setValue("paths/lastDir", str(Path(names[0]).parent))
        return [Path(n) for n in names]

    def attach_with_dialog(self, doc_id: int | None = None) -> None:
        doc_id = doc_id if doc_id is not None else self.detail.document_id
        if doc_id is None:
            self.statusBar().showMessage("Select a document first, then attach files to it.", 5000)
            return
        paths = self.choose_files()
        if paths:
            self.attach_files(doc_id, paths)

    # -- attaching -------------------------------------------------------------

    def attach_files(self, doc_id: int, paths: list, allow_duplicate: bool = False) -> None:
        paths = [Path(p) for p in paths]
        folders = [p for p in paths if p.is_dir()]
        if folders:  # a folder dropped is imported, one document per file (the Import dialog asks first)
            self.import_files(folders)
        files = [p for p in paths if p.is_file()]
        skipped = [p.name for p in paths if not p.is_file() and not p.is_dir()]
        if skipped:
            self.statusBar().showMessage(f"Only files can be attached; skipped {', '.join(skipped)}", 6000)
        if not files:
            return
        progress = self._start_progress(
            f"Attaching {len(files)} file{'s' if len(files) != 1 else ''}", cancellable=False
        )
        self.ops.attach_files(
            doc_id,
            files,
            allow_duplicate,
            done=lambda report: self._attached(doc_id, files, report),
            progress=progress,
        )
        self.ops.finished.connect(self._finish_progress_once)

    def _attached(self, doc_id: int, paths: list[Path], report: FileReport) -> None:
        if report.duplicates:
            by_name = {p.name: p for p in paths}
            lines = "".join(f"<li>{html.escape(str(d))}</li>" for d in report.duplicates)
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Duplicate files",
                f"{len(report.duplicates)} file{'s are' if len(report.duplicates) != 1 else ' is'} "
                "already in the catalog:",
                QMessageBox.StandardButton.NoButton,
                self,
            )
            box.setObjectName("duplicateReport")
            box.setInformativeText(
                f"<ul>{lines}</ul>Attach {'them' if len(report.duplicates) != 1 else 'it'} to this document as well?"
            )
            again = box.addButton("Attach anyway", QMessageBox.ButtonRole.AcceptRole)
            box.addButton("Skip", QMessageBox.ButtonRole.RejectRole)
            retry = [by_name[d.name] for d in report.duplicates if d.name in by_name]

            def attach_anyway(_result: int) -> None:
                if box.clickedButton() is again:
                    self.attach_files(doc_id, retry, True)

            box.finished.connect(attach_anyway)
            box.open()
        if report.failed or report.already:
            problems = [f"<li>{html.escape(name)}: {html.escape(why)}</li>" for name, why in report.failed]
            problems += [f"<li>{html.escape(name)}: already attached to this document</li>" for name in report.already]
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Attach files",
                "Some files were not attached:",
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("attachProblems")
            box.setInformativeText(f"<ul>{''.join(problems)}</ul>")
            box.open()
        self.statusBar().showMessage(f"Attach: {report.summary()}", 6000)

    def detach(self, doc_id: int, attachment) -> None:
        confirm_destructive(
            self,
            "confirmDetach",
            "Remove file",
            f"Remove “{safe_display_name(attachment.original_name)}” from this document?",
            "Ctrl+Z brings it back.",
            "Remove",
            lambda: self.ops.detach(doc_id, attachment.id, safe_display_name(attachment.original_name)),
        )

    # -- bulk import -----------------------------------------------------------

    def import_files(self, paths: list[Path] | None = None) -> None:
        """Files (or folders, walked as `finweek import` walks them) to import."""
        paths = paths if paths is not None else self.choose_files("Choose files to import")
        if not paths:
            return
        folders = sum(1 for p in paths if Path(p).is_dir())
        count = len(scan(paths).files) if folders else len(paths)
        dialog = ImportDialog(
            count,
            self.tag_names,
            self,
            organizations=self.service.reference.organizations(),
            sessions=self.service.reference.sessions(),
            folders=folders,
        )
        dialog.accepted.connect(
            lambda: self.start_import(paths, dialog.kind.currentData(), dialog.tag_names(), **dialog.batch())
        )
        dialog.open()

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Choose a folder to import", str(self.settings.value("paths/lastDir", ""))
        )
        if folder:
            self.settings.setValue("paths/lastDir", folder)
            self.import_files([Path(folder)])

    def import_references(self) -> None:
        """File → Import references…: BibTeX, RIS or CSL-JSON files from Zotero, JabRef, EndNote."""
        names, _filter = QFileDialog.getOpenFileNames(
            self,
            "Choose reference files to import",
            str(self.settings.value("paths/lastDir", "")),
            "References (*.bib *.ris *.json *.txt);;All files (*)",
        )
        if not names:
            return
        self.settings.setValue("paths/lastDir", str(Path(names[0]).parent))
        progress = self._start_progress("Importing references", cancellable=False)
        self.ops.import_references([Path(n) for n in names], progress, done=self._references_imported)
        self.ops.finished.connect(self._finish_progress_once)

    def _references_imported(self, report) -> None:
        self.last_reference_import = report
        summary = (
            f"{len(report.added)} added, {len(report.duplicates)} skipped as duplicates, {len(report.refused)} refused"
        )
        lines = [f"<li>Duplicate {html.escape(d.entry)}: {html.escape(d.reason)}</li>" for d in report.duplicates]
        lines += [f"<li>Refused {html.escape(entry)}: {html.escape(why)}</li>" for entry, why in report.refused]
        lines += [f"<li>{html.escape(note)}</li>" for note in report.notes]
        if lines:
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "Import references",
                f"Import finished: {summary}.",
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("referenceImportReport")
            box.setInformativeText(
                f"<ul>{''.join(lines[:50])}</ul>" + (f"… and {len(lines) - 50} more" if len(lines) > 50 else "")
            )
            box.open()
        self.statusBar().showMessage(f"Import references: {summary}", 8000)

    def start_import(self, paths: list[Path], kind: str, tags: tuple[str, ...] = (), **batch) -> None:
        progress = self._start_progress("Importing", cancellable=True)
        self._import_progress = progress
        self.ops.import_files(paths, kind, tags, progress, done=self._imported, **batch)
        self.ops.finished.connect(self._finish_progress_once)

    def cancel_import(self) -> None:
        if self._import_progress is not None:
            self._import_progress.cancel()
            self.task_label.setText("Cancelling…")

    def _imported(self, report: FileReport) -> None:
        self._import_progress = None
        self.last_import = report
        if report.duplicates or report.failed:
            lines = [f"<li>{html.escape(str(d))}</li>" for d in report.duplicates]
            lines += [f"<li>{html.escape(name)}: {html.escape(why)}</li>" for name, why in report.failed]
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "Import",
                f"Import finished: {report.summary()}.",
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("importReport")
            box.setInformativeText(f"<ul>{''.join(lines)}</ul>")
            box.open()
        self.statusBar().showMessage(f"Import finished: {report.summary()}", 8000)

    # -- the progress bar in the status bar ------------------------------------

    def _start_progress(self, text: str, cancellable: bool) -> Progress:
        progress = Progress()
        progress.setParent(self)
        progress.changed.connect(self._show_task_progress)
        self.task_label.setText(text + "…")
        self.task_bar.setRange(0, 0)
        for widget in (self.task_label, self.task_bar):
            widget.show()
        self.task_cancel.setVisible(cancellable)
        return progress

    def _show_task_progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.task_bar.setRange(0, total)
            self.task_bar.setValue(done)
        if message and not self.task_label.text().startswith("Cancelling"):
            self.task_label.setText(
                f"{message} ({done + 1 if done < total else done} of {total})" if total else message
            )

    def _finish_progress_once(self) -> None:
        self.ops.finished.disconnect(self._finish_progress_once)
        for widget in (self.task_label, self.task_bar, self.task_cancel):
            widget.hide()

    # -- previews --------------------------------------------------------------

    def _attachment_selected(self, attachment) -> None:
        self._preview_generation += 1
        generation = self._preview_generation
        preview = self.detail.preview
        if attachment is None:
            return
        self._load_thumbnails()
        service = self.service
        previews = service.attachments.previews
        if previews is None:  # a catalog opened without its store has no files to show
            return
        mime = attachment.mime_type
        preview.show_message(f"Loading {safe_display_name(attachment.original_name)}…")
        preview.clear_highlights()
        self._previewed = attachment
        # A search hit inside this file: open it at the hit's page, the matched words highlighted.
        place = self.detail.take_place(attachment.id)
        start_page = max(0, (place[0] or 1) - 1) if place else 0
        if place is not None:
            page_number, query = place

            def highlighted(rects, error):
                if generation == self._preview_generation and error is None:
                    preview.set_highlights(start_page, rects)

            self.runner.run(lambda: service.highlights.on_page(attachment.id, page_number, query), highlighted)

        def fresh(callback):
            def deliver(result, error):
                if generation != self._preview_generation:
                    return  # another file was selected meanwhile
                if error is not None:
                    log.info("no preview of %s: %s", attachment.original_name, error)
                    preview.show_message(
                        f"No preview of {safe_display_name(attachment.original_name)}.\n\n{describe(error)}"
                    )
                    return
                callback(result)

            return deliver

        def show_image() -> None:
            self.runner.run(
                lambda: QImage.fromData(previews.image_bytes(attachment.sha256, mime)), fresh(preview.show_image)
            )

        if mime in PAGED_IMAGES:  # a scan of several pages (a TIFF) pages as a PDF does; of one, as an image
            self.runner.run(
                lambda: service.attachments.page_count(attachment.id),
                fresh(lambda n: preview.show_pdf(n, start_page) if n > 1 else show_image()),
            )
        elif mime in THUMBNAIL_IMAGES:
            show_image()
        elif mime == PDF:
            self.runner.run(
                lambda: service.attachments.page_count(attachment.id), fresh(lambda n: preview.show_pdf(n, start_page))
            )
        else:
            markdown = mime == "text/markdown"
            document = self.detail.document
            siblings = list(document.attachments) if document is not None else []

            def text_and_images() -> tuple[str, dict[str, QImage]]:
                text = service.attachments.text_preview(attachment.id)
                if not markdown:
                    return text, {}
                # Only images that are attachments of this document, read from the store (#17.6).
                linked = LinkedImages(siblings, previews).load(text)
                return text, {name: QImage.fromData(data) for name, data in linked.items()}

            def text_shown(answer: tuple[str, dict[str, QImage]]) -> None:
                text, images = answer
                if text.strip():
                    preview.show_text(text, markdown=markdown, images=images)
                else:
                    preview.show_message(
                        f"{safe_display_name(attachment.original_name)} has no text to show. "
                        "Open it in its application."
                    )

            self.runner.run(text_and_images, fresh(text_shown))

    def open_reader(self) -> None:
        """The previewed file in a window of its own, at the page shown (issue 14)."""
        attachment = getattr(self, "_previewed", None)
        if attachment is None:
            return
        from .reader import ReaderWindow

        reader = ReaderWindow(self.service, self.runner, attachment, self.detail.preview.current_page, self)
        self.readers = [r for r in getattr(self, "readers", []) if isValid(r) and r.isVisible()] + [reader]
        reader.show()

    def _find_in_preview(self, text: str) -> None:
        """Every place of the words in the previewed file, with search's folding (issue 14)."""
        attachment = getattr(self, "_previewed", None)
        if attachment is None:
            return
        preview = self.detail.preview
        find_places(self.runner, self.service, attachment.id, text, preview)

    def _render_page(self, page: int, scale: float) -> None:
        attachment = getattr(self, "_previewed", None)
        if attachment is None or (attachment.mime_type != PDF and attachment.mime_type not in PAGED_IMAGES):
            return
        generation = self._preview_generation
        service = self.service
        preview = self.detail.preview

        def deliver(image, error):
            if generation != self._preview_generation:
                return
            if error is not None:
                preview.show_message(f"Page {page + 1} cannot be shown.\n\n{describe(error)}")
                return
            preview.set_page_image(page, image)

        self.runner.run(lambda: QImage.fromData(service.attachments.render_page(attachment.id, page, scale)), deliver)

    def _load_thumbnails(self) -> None:
        document = self.detail.document
        if document is None or getattr(self, "_thumbnails_for", None) == (document.id, document.modified_at):
            return
        self._thumbnails_for = (document.id, document.modified_at)
        service = self.service
        for attachment in document.attachments:
            if self.detail.attachments.has_thumbnail(attachment.id):
                continue
            if attachment.mime_type in THUMBNAIL_IMAGES or attachment.mime_type == PDF:

                def deliver(image, error, attachment_id=attachment.id):
                    if error is None and not image.isNull():
                        self.detail.set_thumbnail(attachment_id, image)

                self.runner.run(
                    lambda a=attachment: QImage(str(service.attachments.thumbnail(a.id, THUMBNAIL_SIZE))), deliver
                )

    # -- the system's applications (see desktop.py) ---------------------------

    def open_attachment(self, attachment) -> None:
        if attachment is None:
            return
        service = self.service

        def opened(path, error):
            if error is not None:
                self.show_file_error(f"Could not open {safe_display_name(attachment.original_name)}", error)
            elif not desktop.open_file(path):
                self._offer_copy(attachment)
            else:
                self.statusBar().showMessage(
                    f"Opened a read-only copy of {safe_display_name(attachment.original_name)}: "
                    "changes made there are not saved "
                    "in the catalog.",
                    8000,
                )

        self.runner.run(
            lambda: desktop.read_only_copy(
                service.attachments.attachment(attachment.id).path, attachment.id, attachment.original_name
            ),
            opened,
        )

    def _offer_copy(self, attachment) -> None:
        """No application opens the file (no desktop, or none set up for
        its type): it can still be saved somewhere and opened from there."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Open file",
            f"No application is set up to open {safe_display_name(attachment.original_name)}.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("noApplication")
        box.setInformativeText("Save a copy where you can open it, or show the stored file in its folder.")
        save = box.addButton("Save a copy as…", QMessageBox.ButtonRole.AcceptRole)
        reveal = box.addButton("Show in folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        plain_buttons(box)

        def finished(_result):
            if box.clickedButton() is save:
                self.save_attachment_copy(attachment)
            elif box.clickedButton() is reveal:
                self.reveal_attachment(attachment)

        box.finished.connect(finished)
        box.open()

    def save_attachment_copy(self, attachment) -> None:
        """ "Save a copy as…": the stored file, under a name and folder chosen."""
        if attachment is None:
            return
        start = Path(str(self.settings.value("paths/lastDir", "") or Path.home())) / attachment.original_name
        name, _filter = QFileDialog.getSaveFileName(
            self, f"Save a copy of {safe_display_name(attachment.original_name)}", str(start)
        )
        if not name:
            return
        target = Path(name)
        self.settings.setValue("paths/lastDir", str(target.parent))
        service = self.service

        def work():
            stored = service.attachments.attachment(attachment.id).path
            shutil.copyfile(stored, target)  # not copy2: the copy is the user's, writable
            return target

        def saved(path, error):
            if error is not None:
                self.show_file_error(f"Could not save a copy of {safe_display_name(attachment.original_name)}", error)
            else:
                self.statusBar().showMessage(
                    f"Saved a copy of {safe_display_name(attachment.original_name)} as {path}", 8000
                )

        self.runner.run(work, saved)

    def reveal_attachment(self, attachment) -> None:
        if attachment is None:
            return
        service = self.service

        def reveal(path, error):
            if error is not None:
                self.show_file_error(f"Could not show {safe_display_name(attachment.original_name)}", error)
                return
            desktop.reveal(path)
            self.statusBar().showMessage(
                f"The catalog keeps {safe_display_name(attachment.original_name)} as {path.name} in {path.parent}.",
                10000,
            )

        self.runner.run(lambda: service.attachments.attachment(attachment.id).path, reveal)

    def show_file_error(self, action: str, error: BaseException) -> None:
        from .errors import show_error

        show_error(self, action, error)
