"""The preview area: an image with fit/zoom, a PDF page by page, or text.

It only shows what it is given (PNG/JPEG bytes, page images, text); reading
and rendering files happens in workers, outside this widget.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPen, QPixmap, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.attachments.linked_images import attachment_name
from .theme import set_icon

ZOOM_STEPS = (0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)


def _placeholder() -> QImage:
    """What stands for an image the preview does not show: a small grey box."""
    image = QImage(120, 32, QImage.Format.Format_ARGB32)
    image.fill(QColor(128, 128, 128, 40))
    painter = QPainter(image)
    painter.setPen(QColor(128, 128, 128))
    painter.drawRect(0, 0, 119, 31)
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, "image not shown")
    painter.end()
    return image


class ContainedBrowser(QTextBrowser):
    """A text browser that loads nothing a document names (#17.6).

    Qt asks ``loadResource`` for every image (and style sheet) of rich text;
    the default reads local paths itself, and so does QTextDocument when the
    answer is empty. Here the answer is never empty: an image the document's
    attachments hold (handed over in ``images``, read from the store by a
    worker), else a placeholder; anything else, nothing at all."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.images: dict[str, QImage] = {}  # attachment file name -> image
        self.refused: list[str] = []  # what the shown text named and got a placeholder for
        self._placeholder = _placeholder()

    def loadResource(self, kind: int, url: QUrl | str):
        url = QUrl(url) if isinstance(url, str) else url
        if kind in (QTextDocument.ResourceType.ImageResource, QTextDocument.ResourceType.ImageResource.value):
            name = attachment_name(url.toString())
            image = self.images.get(name) if name is not None else None
            if image is not None and not image.isNull():
                return image
            self.refused.append(url.toString())
            return self._placeholder
        self.refused.append(url.toString())
        return QByteArray(b" ")  # not empty: an empty answer makes Qt read the file itself


class PreviewWidget(QWidget):
    # asks the owner to render ``page`` (0-based) of the current PDF at ``scale``
    page_requested = Signal(int, float)
    # asks the owner for every place of these words in the file (find in the preview, Ctrl+F there)
    find_requested = Signal(str)
    pop_out_requested = Signal()  # the reader window: this file in a window of its own
    page_changed = Signal(int)  # the page shown (0-based) of a PDF

    MESSAGE, IMAGE, TEXT = range(3)
    can_pop_out = True  # False in the reader window, which is the popped-out view

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("preview")
        self._pixmap: QPixmap | None = None
        self._zoom: float | None = None  # None = fit to the area
        self._pages = 0
        self._page = 0
        self._is_pdf = False
        # Rectangles to highlight (fractions of the page), by page (0-based; 0 for an image).
        self._highlights: dict[int, list[tuple[float, float, float, float]]] = {}
        self._current_rect = None  # the match find-in-preview is on

        self.message = QLabel("Select a document with a file to preview it.")
        self.message.setObjectName("previewMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setEnabled(False)

        self.image = QLabel()
        self.image.setObjectName("previewImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("previewScroll")
        self.scroll_area.setWidget(self.image)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a click on the page gives it the keyboard
        self.scroll_area.viewport().installEventFilter(self)

        # A browser, not a plain editor, so Markdown shows formatted with its
        # paragraphs reflowed; links are not followed and nothing is fetched.
        self.text = ContainedBrowser()
        self.text.setObjectName("previewText")
        self.text.setOpenLinks(False)
        self.text.setOpenExternalLinks(False)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.scroll_area)
        self.stack.addWidget(self.text)

        self.zoom_out = self._button(
            "zoom-out", "Zoom out (Ctrl+-)", lambda: self._step_zoom(-1), QKeySequence.StandardKey.ZoomOut
        )
        self.zoom_fit = self._button("zoom-fit", "Fit to the area (Ctrl+0)", self.fit, "Ctrl+0")
        self.zoom_in = self._button(
            "zoom-in", "Zoom in (Ctrl++)", lambda: self._step_zoom(1), QKeySequence.StandardKey.ZoomIn
        )
        self.zoom_label = QLabel("Fit")
        self.zoom_label.setMinimumWidth(40)
        self.previous_page = self._button(
            "previous", "Previous page (Page Up)", lambda: self.go_to_page(self._page - 1)
        )
        self.next_page = self._button("next", "Next page (Page Down)", lambda: self.go_to_page(self._page + 1))
        self.page_box = QSpinBox()
        self.page_box.setObjectName("pageBox")
        self.page_box.setMinimum(1)
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(lambda value: self.go_to_page(value - 1))
        self.page_count = QLabel()
        self.pop_out = self._button(
            "open-external", "Read in a window of its own (thumbnails, full screen)", self.pop_out_requested.emit
        )
        self.pop_out.setObjectName("popOut")
        self.find_action = self._button("search", "Find in this file (Ctrl+F here)", self.open_find)
        self.find_action.setObjectName("findInPreview")
        self._build_find_bar()
        # Shortcuts, not keyPressEvent: the scroll area takes Page Up/Down
        # for itself before they reach this widget. Enabled for PDFs only,
        # so text and images still scroll by page.
        self._page_keys = []
        for key, step in ((Qt.Key.Key_PageDown, 1), (Qt.Key.Key_PageUp, -1)):
            shortcut = QShortcut(QKeySequence(key), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda step=step: self.go_to_page(self._page + step))
            self._page_keys.append(shortcut)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.previous_page, self.page_box, self.page_count, self.next_page):
            bar.addWidget(widget)
        bar.addStretch(1)
        for widget in (self.zoom_out, self.zoom_label, self.zoom_in, self.zoom_fit, self.find_action, self.pop_out):
            bar.addWidget(widget)
        self.toolbar = QWidget()
        self.toolbar.setLayout(bar)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.stack, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.show_message("Select a document with a file to preview it.")

    # -- find in the preview ---------------------------------------------------
    # The words are looked for by the owner with the index's own analysis
    # (accents, Traditional/Simplified folded, as search does); the matches
    # come back as (page, rectangle) and Enter / F3 / the arrows step through
    # them across pages. In text, the browser's own find is used.

    def _build_find_bar(self) -> None:
        self.find_box = QLineEdit()
        self.find_box.setObjectName("findBox")
        self.find_box.setPlaceholderText("Find in this file")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.returnPressed.connect(lambda: self.find_step(1))
        self.find_previous = self._button("previous", "Previous match (Shift+Enter)", lambda: self.find_step(-1))
        self.find_next = self._button("next", "Next match (Enter)", lambda: self.find_step(1))
        self.find_status = QLabel()
        self.find_status.setObjectName("findStatus")
        close = self._button("close", "Close (Esc)", self.close_find)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.find_box, self.find_previous, self.find_next, self.find_status):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(close)
        self.find_bar = QWidget()
        self.find_bar.setObjectName("findBar")
        self.find_bar.setLayout(row)
        self.find_bar.hide()
        self._matches: list[tuple[int, tuple[float, float, float, float]]] = []
        self._match = -1
        self._found_for: str | None = None
        for widget in (self.scroll_area, self.text, self.find_box, self.message):
            widget.installEventFilter(self)

    def open_find(self) -> None:
        self.find_bar.show()
        self.find_box.setFocus()
        self.find_box.selectAll()

    def close_find(self) -> None:
        self.find_bar.hide()
        self._matches, self._match, self._found_for = [], -1, None
        self.clear_highlights()
        self._apply_zoom()
        self.scroll_area.setFocus()

    def find_step(self, step: int) -> None:
        text = self.find_box.text().strip()
        if not text:
            return
        if self.stack.currentIndex() == self.TEXT:
            flags = QTextDocument.FindFlag.FindBackward if step < 0 else QTextDocument.FindFlag(0)
            found = self.text.find(text, flags)
            self.find_status.setText("" if found else "No more matches")
            return
        if text != self._found_for:
            self._found_for = text
            self.find_status.setText("Finding…")
            self.find_requested.emit(text)
            return
        if self._matches:
            self._show_match((self._match + step) % len(self._matches))

    def set_find_results(self, text: str, matches) -> None:
        """The places of ``text`` in the file: (page 0-based, rectangle)."""
        if text != self._found_for:
            return  # an answer to words since changed
        self._matches = list(matches)
        self.clear_highlights()
        if not self._matches:
            self.find_status.setText("No matches")
            self._apply_zoom()
            return
        for page, rect in self._matches:
            self._highlights.setdefault(page, []).append(rect)
        self._show_match(0)

    @property
    def match_index(self) -> int:
        return self._match

    @property
    def match_count(self) -> int:
        return len(self._matches)

    def _show_match(self, index: int) -> None:
        self._match = index
        page, rect = self._matches[index]
        self._current_rect = rect
        self.find_status.setText(f"{index + 1} of {len(self._matches)}")
        if self._is_pdf and page != self._page:
            self.go_to_page(page)
        else:
            self._apply_zoom()
        self._scroll_to(rect)

    def _scroll_to(self, rect) -> None:
        label = self.image.pixmap()
        if label is None or label.isNull():
            return
        height = label.height() / label.devicePixelRatio()
        top = (self.image.height() - height) / 2 if self.image.height() > height else 0
        self.scroll_area.ensureVisible(0, int(top + rect[1] * height), 0, 60)

    def _button(self, icon_name, tip, slot, shortcut=None) -> QToolButton:
        button = QToolButton()
        set_icon(button, icon_name)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        if shortcut is not None:
            button.setShortcut(QKeySequence(shortcut))
        return button

    # -- what to show ----------------------------------------------------------

    @property
    def mode(self) -> int:
        return self.stack.currentIndex()

    def show_message(self, text: str) -> None:
        self._pixmap = None
        self._is_pdf = False
        self.message.setText(text)
        self.stack.setCurrentIndex(self.MESSAGE)
        self._update_bar()

    def show_text(self, text: str, markdown: bool = False, images: dict[str, QImage] | None = None) -> None:
        """Plain text, or Markdown with the ``images`` (attachment file name
        -> image) it may show; every other image it names is a placeholder."""
        self._pixmap = None
        self._is_pdf = False
        self.text.images = dict(images or {})
        self.text.refused = []
        if markdown:
            self.text.setMarkdown(text)
        else:
            self.text.setPlainText(text)
        self.stack.setCurrentIndex(self.TEXT)
        self._update_bar()

    def show_image(self, data: bytes | QImage) -> bool:
        self._is_pdf = False
        self._zoom = None
        return self._set_image(data)

    def set_highlights(self, page: int, rects) -> None:
        """Highlight ``rects`` (x0, y0, x1, y1 in fractions of the page) on
        ``page`` (0-based; 0 for an image): the matched words."""
        self._highlights[page] = list(rects)
        if self._pixmap is not None and page == (self._page if self._is_pdf else 0):
            self._apply_zoom()

    def clear_highlights(self) -> None:
        self._highlights = {}
        self._current_rect = None

    def highlights(self, page: int | None = None) -> list:
        return self._highlights.get(self._page if page is None else page, [])

    def show_pdf(self, page_count: int, page: int = 0) -> None:
        """Start a PDF; the owner answers page_requested with set_page_image."""
        self._is_pdf = True
        self._pages = max(page_count, 1)
        self._page = min(max(page, 0), self._pages - 1)
        self._zoom = None
        self.page_box.blockSignals(True)
        self.page_box.setMaximum(self._pages)
        self.page_box.setValue(self._page + 1)
        self.page_box.blockSignals(False)
        self.page_count.setText(f"of {self._pages}")
        self.message.setText("Rendering page…")
        self.stack.setCurrentIndex(self.MESSAGE)
        self._update_bar()
        self.page_changed.emit(self._page)
        self.page_requested.emit(self._page, self._render_scale())

    def set_page_image(self, page: int, data: bytes | QImage) -> None:
        if self._is_pdf and page == self._page:
            self._set_image(data)

    @property
    def current_page(self) -> int:
        return self._page

    @property
    def page_total(self) -> int:
        return self._pages

    @property
    def is_pdf(self) -> bool:
        return self._is_pdf

    def go_to_page(self, page: int) -> None:
        if not self._is_pdf or not 0 <= page < self._pages or page == self._page:
            return
        self._page = page
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self._update_bar()
        self.page_changed.emit(page)
        self.page_requested.emit(page, self._render_scale())

    # -- zoom ------------------------------------------------------------------

    def fit(self) -> None:
        self._zoom = None
        self._apply_zoom()

    def set_zoom(self, zoom: float) -> None:
        self._zoom = min(max(zoom, ZOOM_STEPS[0]), ZOOM_STEPS[-1])
        self._apply_zoom()
        if self._is_pdf and self._zoom > 1.0:  # sharper pages when zoomed in
            self.page_requested.emit(self._page, self._render_scale())

    def _step_zoom(self, direction: int) -> None:
        current = self._zoom if self._zoom is not None else self._fit_factor()
        if direction > 0:
            bigger = [z for z in ZOOM_STEPS if z > current + 1e-6]
            self.set_zoom(bigger[0] if bigger else ZOOM_STEPS[-1])
        else:
            smaller = [z for z in ZOOM_STEPS if z < current - 1e-6]
            self.set_zoom(smaller[-1] if smaller else ZOOM_STEPS[0])

    @property
    def zoom(self) -> float | None:
        return self._zoom

    def _render_scale(self) -> float:
        return max(2.0, (self._zoom or 1.0) * 2.0)  # render at 144 dpi or more

    def _logical_size(self):
        ratio = self._pixmap.devicePixelRatio()
        return self._pixmap.width() / ratio, self._pixmap.height() / ratio

    def _fit_factor(self) -> float:
        """The zoom that fits the whole image (a PDF page: its width) in the area."""
        if self._pixmap is None or self._pixmap.isNull():
            return 1.0
        width, height = self._logical_size()
        area = self.scroll_area.viewport().size()
        scrollbar = self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)
        room = (
            area.width()
            - 6
            - (scrollbar if self._is_pdf and not self.scroll_area.verticalScrollBar().isVisible() else 0)
        )
        across = max(room, 50) / width
        if self._is_pdf:
            return across
        return min(across, max(area.height() - 6, 50) / height, 1.0)  # never blow up small images

    def _set_image(self, data) -> bool:
        image = data if isinstance(data, QImage) else QImage.fromData(data)
        if image.isNull():
            self.show_message("This image cannot be shown.")
            return False
        self._pixmap = QPixmap.fromImage(image)
        if self._is_pdf:  # pages are rendered at a higher scale: show at 1:1 of the page
            self._pixmap.setDevicePixelRatio(self._render_scale())
        self.stack.setCurrentIndex(self.IMAGE)
        self._apply_zoom()
        self._update_bar()
        return True

    def _apply_zoom(self) -> None:
        if self._pixmap is None:
            self._update_bar()
            return
        factor = self._fit_factor() if self._zoom is None else self._zoom
        self.scroll_area.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff if self._zoom is None else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        ratio = self._pixmap.devicePixelRatio()
        width, height = self._logical_size()
        scaled = self._pixmap.scaled(
            max(1, round(width * factor * ratio)),
            max(1, round(height * factor * ratio)),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        scaled.setDevicePixelRatio(ratio)
        rects = self._highlights.get(self._page if self._is_pdf else 0)
        if rects:
            scaled = _highlighted(scaled, rects, self._current_rect)
        self.image.setPixmap(scaled)
        self._update_bar()

    def eventFilter(self, watched, event):
        # The viewport, not this widget: it also changes size when a scroll
        # bar comes or goes, and "Fit" must fit the room that is left.
        if event.type() == QEvent.Type.Resize and self._zoom is None and self._pixmap is not None:
            self._apply_zoom()
        # Ctrl+F with the keyboard in the viewer finds in the file, not in the catalog.
        if event.type() == QEvent.Type.ShortcutOverride and _is_find_key(event):
            event.accept()
            return True
        if event.type() == QEvent.Type.KeyPress:
            if _is_find_key(event):
                self.open_find()
                return True
            if watched is self.find_box and event.key() == Qt.Key.Key_Escape:
                self.close_find()
                return True
            if (
                watched is self.find_box
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and (event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            ):
                self.find_step(-1)
                return True
            if event.key() == Qt.Key.Key_F3:
                self.find_step(-1 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1)
                return True
        return super().eventFilter(watched, event)

    def _update_bar(self) -> None:
        showing_image = self.stack.currentIndex() == self.IMAGE or (self._is_pdf and self._pixmap is not None)
        for widget in (self.zoom_in, self.zoom_out, self.zoom_fit, self.zoom_label):
            widget.setVisible(showing_image)
        for widget in (self.previous_page, self.next_page, self.page_box, self.page_count):
            widget.setVisible(self._is_pdf)
        for shortcut in self._page_keys:
            shortcut.setEnabled(self._is_pdf)
        self.previous_page.setEnabled(self._is_pdf and self._page > 0)
        self.next_page.setEnabled(self._is_pdf and self._page < self._pages - 1)
        self.zoom_label.setText("Fit" if self._zoom is None else f"{round(self._zoom * 100)}%")
        self.pop_out.setVisible(self.can_pop_out and (showing_image or self._is_pdf))
        self.toolbar.setVisible(showing_image or self._is_pdf)


def _highlighted(pixmap: QPixmap, rects, current=None) -> QPixmap:
    """The page with translucent marker over the rectangles (fractions of it)."""
    marked = QPixmap(pixmap)
    painter = QPainter(marked)
    width, height = marked.width() / marked.devicePixelRatio(), marked.height() / marked.devicePixelRatio()
    painter.setPen(QPen(QColor(214, 137, 16, 220), 1.5))
    painter.setBrush(QColor(255, 214, 0, 90))
    for rect in rects:
        x0, y0, x1, y1 = rect
        if rect == current:
            painter.setBrush(QColor(255, 140, 0, 130))
        pad = 2
        painter.drawRect(
            QRectF(x0 * width - pad, y0 * height - pad, (x1 - x0) * width + 2 * pad, (y1 - y0) * height + 2 * pad)
        )
        painter.setBrush(QColor(255, 214, 0, 90))
    painter.end()
    return marked


def _is_find_key(event) -> bool:
    return event.key() == Qt.Key.Key_F and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
