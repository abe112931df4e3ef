"""The reader window: one file in a window of its own, to read a 100-page
blue paper rather than glance at it in the detail pane.

Page thumbnails down the side (click one to go there), the preview's own
keyboard paging (Page Up/Down), zoom (Ctrl +/-/0) and find (Ctrl+F), and
full screen (F11; Esc leaves it). Pages and thumbnails are rendered on the
task runner, as the pane's preview is; nothing here reads a file itself.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QListView, QListWidget, QListWidgetItem, QWidget

from ..core.attachments.filetypes import PAGED_IMAGES, PDF, THUMBNAIL_IMAGES
from ..core.display import safe_display_name
from .errors import describe
from .files import find_places
from .preview import PreviewWidget

THUMB_SCALE = 0.2  # a page of 595 points is 119 px wide
MAX_THUMBNAILS = 300


def _framed(image: QImage) -> QPixmap:
    """A page thumbnail with a thin grey edge, so a white page shows on a white list."""
    pixmap = QPixmap.fromImage(image)
    painter = QPainter(pixmap)
    painter.setPen(QColor(150, 150, 150))
    painter.drawRect(0, 0, pixmap.width() - 1, pixmap.height() - 1)
    painter.end()
    return pixmap


class ReaderWindow(QWidget):
    def __init__(self, service, runner, attachment, page: int = 0, parent=None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("readerWindow")
        self.setWindowTitle(f"{safe_display_name(attachment.original_name)} — Finance Week catalog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._service = service
        self._runner = runner
        self.attachment = attachment
        self._closed = False

        self.preview = PreviewWidget()
        self.preview.can_pop_out = False
        self.preview.page_requested.connect(self._render)
        self.preview.page_changed.connect(self._page_shown)
        self.preview.find_requested.connect(
            lambda text: find_places(runner, service, attachment.id, text, self.preview)
        )

        self.thumbnails = QListWidget()
        self.thumbnails.setObjectName("pageThumbnails")
        self.thumbnails.setViewMode(QListView.ViewMode.IconMode)
        self.thumbnails.setFlow(QListView.Flow.LeftToRight)
        self.thumbnails.setWrapping(True)  # one column: the list is one tile wide
        self.thumbnails.setResizeMode(QListView.ResizeMode.Adjust)
        self.thumbnails.setMovement(QListView.Movement.Static)
        self.thumbnails.setIconSize(QSize(110, 150))
        self.thumbnails.setGridSize(QSize(140, 180))
        self.thumbnails.setFixedWidth(170)
        self.thumbnails.currentRowChanged.connect(self._thumbnail_chosen)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.thumbnails)
        layout.addWidget(self.preview, 1)

        full = QShortcut(QKeySequence(Qt.Key.Key_F11), self)
        full.activated.connect(self.toggle_full_screen)
        leave = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        leave.activated.connect(self._leave_full_screen)
        close = QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self)
        close.activated.connect(self.close)

        self.resize(1000, 760)
        self._open(page)

    def _open(self, page: int) -> None:
        a = self.attachment
        if a.mime_type == PDF or a.mime_type in PAGED_IMAGES:  # a scanned TIFF reads page by page too

            def counted(count, error):
                if self._closed:
                    return
                if error is not None:
                    self.preview.show_message(
                        f"{safe_display_name(a.original_name)} cannot be shown.\n\n{describe(error)}"
                    )
                    return
                self._thumbnail_items(count)
                self.preview.show_pdf(count, page)

            self._runner.run(lambda: self._service.attachments.page_count(a.id), counted)
        elif a.mime_type in THUMBNAIL_IMAGES:
            self.thumbnails.hide()
            self._runner.run(
                lambda: QImage.fromData(self._service.attachments.previews.image_bytes(a.sha256, a.mime_type)),
                lambda image, error: not self._closed and error is None and self.preview.show_image(image),
            )
        else:
            self.thumbnails.hide()

            def show(text: str | None, error: BaseException | None) -> None:
                if not self._closed and error is None and text is not None:
                    self.preview.show_text(text)

            self._runner.run(lambda: self._service.attachments.text_preview(a.id), show)

    def _thumbnail_items(self, count: int) -> None:
        self.thumbnails.blockSignals(True)
        for page in range(min(count, MAX_THUMBNAILS)):
            item = QListWidgetItem(str(page + 1))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            item.setSizeHint(QSize(130, 175))  # before its picture arrives too
            self.thumbnails.addItem(item)

            def deliver(image, error, item=item):
                if not self._closed and error is None and not image.isNull():
                    item.setIcon(QIcon(_framed(image)))

            self._runner.run(
                lambda p=page: QImage.fromData(
                    self._service.attachments.render_page(self.attachment.id, p, THUMB_SCALE)
                ),
                deliver,
            )
        self.thumbnails.blockSignals(False)

    def _render(self, page: int, scale: float) -> None:
        def deliver(image, error):
            if self._closed:
                return
            if error is not None:
                self.preview.show_message(f"Page {page + 1} cannot be shown.\n\n{describe(error)}")
            else:
                self.preview.set_page_image(page, image)

        self._runner.run(
            lambda: QImage.fromData(self._service.attachments.render_page(self.attachment.id, page, scale)), deliver
        )

    def _page_shown(self, page: int) -> None:
        if self.thumbnails.currentRow() != page and page < self.thumbnails.count():
            self.thumbnails.blockSignals(True)
            self.thumbnails.setCurrentRow(page)
            self.thumbnails.blockSignals(False)

    def _thumbnail_chosen(self, row: int) -> None:
        if row >= 0:
            self.preview.go_to_page(row)

    def _leave_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def closeEvent(self, event) -> None:
        self._closed = True
        super().closeEvent(event)
