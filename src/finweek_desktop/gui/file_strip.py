"""The files of the shown document as a strip of thumbnail tiles, just above
the preview, so they are in reach without scrolling the metadata."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView, QListWidget, QListWidgetItem

from ..core.display import safe_display_name
from ..core.records import AttachmentInfo
from .theme import icon

AttachmentRole = Qt.ItemDataRole.UserRole + 20
NotSearchableRole = Qt.ItemDataRole.UserRole + 21  # True when search cannot find the file by its text
THUMB = QSize(64, 64)  # the tile's picture; wide images keep their shape inside it
TILE = QSize(180, 72)  # the narrowest tile; tiles widen to share the row
TYPE_ICON = QSize(32, 32)  # a file without a thumbnail
MAX_ROWS = 2  # more files than fit in two rows scroll


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def mime_icon(mime: str) -> QIcon:
    if mime.startswith("image/"):
        return icon("image")
    if mime == "application/pdf":
        return icon("pdf")
    if mime.startswith("text/"):
        return icon("text")
    return icon("document")


class FileStrip(QListWidget):
    """Tiles left to right, wrapping to a second row; its height follows the
    number of rows, so one or two files cost one row of height."""

    remove_requested = Signal()  # Delete on the current file

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("attachmentList")
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(THUMB)
        self.setGridSize(TILE)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # Thumbnails by attachment id and content: they survive the list
        # being rebuilt when the same document is shown again after an edit,
        # and a new file that reuses a removed file's id gets its own.
        self._thumbnails: dict[tuple[int, str], QIcon] = {}

    def show_attachments(self, attachments: tuple[AttachmentInfo, ...]) -> None:
        self.blockSignals(True)
        self.clear()
        for attachment in attachments:
            item = QListWidgetItem(f"{safe_display_name(attachment.original_name)}\n{human_size(attachment.size)}")
            item.setData(AttachmentRole, attachment)
            searchable = "" if attachment.searchable else "\nNot searchable: "
            item.setToolTip(
                f"{safe_display_name(attachment.original_name)}\n{attachment.mime_type}, {human_size(attachment.size)}"
                f"\nText: {attachment.text_summary or attachment.text_status}"
                f"{searchable + attachment.text_summary if searchable else ''}"
                "\n\nDouble-click to open it in its application"
            )
            item.setData(NotSearchableRole, not attachment.searchable)
            self.addItem(item)
            self._set_item_icon(item)
        self.blockSignals(False)
        self.fit_height()

    def set_thumbnail(self, attachment_id: int, image: QImage) -> None:
        items = [
            self.item(row) for row in range(self.count()) if self.item(row).data(AttachmentRole).id == attachment_id
        ]
        if not items:
            return  # another document is shown by now
        if len(self._thumbnails) >= _KEPT_THUMBNAILS:
            self._thumbnails.clear()  # a day of browsing: start again
        key = _key(items[0].data(AttachmentRole))
        self._thumbnails[key] = QIcon(QPixmap.fromImage(image))
        for item in items:
            self._set_item_icon(item)

    def has_thumbnail(self, attachment_id: int) -> bool:
        return any(
            _key(self.item(row).data(AttachmentRole)) in self._thumbnails
            for row in range(self.count())
            if self.item(row).data(AttachmentRole).id == attachment_id
        )

    def restyle(self) -> None:
        """Type icons follow the palette; thumbnails stay."""
        for row in range(self.count()):
            self._set_item_icon(self.item(row))

    def _set_item_icon(self, item: QListWidgetItem) -> None:
        attachment = item.data(AttachmentRole)
        thumbnail = self._thumbnails.get(_key(attachment))
        # a type icon stays at 32 px in the middle of the tile, lighter than a 64 px glyph
        shown = thumbnail or QIcon(mime_icon(attachment.mime_type).pixmap(TYPE_ICON))
        if not attachment.searchable:
            shown = _badged(shown, attachment.text_status)
        item.setIcon(shown)

    def event(self, event):
        # Delete here means the file: the window's Delete (documents) must not take the key.
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Delete and self.currentItem():
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key.Key_Delete and self.currentItem() is not None:
            self.remove_requested.emit()
            return
        super().keyPressEvent(event)

    def current_attachment(self) -> AttachmentInfo | None:
        item = self.currentItem()
        return item.data(AttachmentRole) if item else None

    def fit_height(self) -> None:
        """Tiles share the row; with room for two columns or more they wrap
        into at most MAX_ROWS rows, in a narrow pane they stay on one row
        that scrolls sideways, so the preview keeps its height."""
        width = self.width() - 2 * self.frameWidth()
        count = self.count()
        columns = max(1, width // TILE.width()) if width > 0 else 2
        wrap = columns > 1
        rows = math.ceil(count / columns) if count and wrap else 1
        tile = QSize(
            TILE.width()
            if not wrap or width <= 0
            else min((width - 2) // max(1, min(columns, count)), 3 * TILE.width()),
            TILE.height(),
        )
        if not wrap and count == 1 and width > 0:
            tile.setWidth(width - 2)
        self.setWrapping(wrap)
        self.setGridSize(tile)
        for row in range(count):
            self.item(row).setSizeHint(tile)
        sideways = not wrap and count > 1
        self.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded if sideways else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded if rows > MAX_ROWS else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        bar = self.horizontalScrollBar().sizeHint().height() if sideways else 0
        self.setFixedHeight(min(rows, MAX_ROWS) * TILE.height() + 2 * self.frameWidth() + 2 + bar)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.fit_height()


_KEPT_THUMBNAILS = 500


def _badged(base: QIcon, status: str) -> QIcon:
    """The tile's picture with a badge in its corner: the file is not
    searchable (amber: waiting for OCR; red: OCR failed or no text)."""
    pixmap = QPixmap(THUMB)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    picture = base.pixmap(THUMB)
    ratio = picture.devicePixelRatio() or 1
    w, h = picture.width() / ratio, picture.height() / ratio
    painter.drawPixmap(int((THUMB.width() - w) / 2), int((THUMB.height() - h) / 2), picture)
    colour = QColor("#d68910") if status == "needs_ocr" else QColor("#c0392b")
    painter.setPen(QPen(QColor("white"), 2))
    painter.setBrush(colour)
    painter.drawEllipse(THUMB.width() - 24, THUMB.height() - 24, 22, 22)
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(14)
    painter.setFont(font)
    painter.drawText(THUMB.width() - 24, THUMB.height() - 24, 22, 22, Qt.AlignmentFlag.AlignCenter, "!")
    painter.end()
    return QIcon(pixmap)


def _key(attachment: AttachmentInfo) -> tuple[int, str]:
    return attachment.id, attachment.sha256
