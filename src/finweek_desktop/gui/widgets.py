"""Small reusable widgets: a flow layout, tag chips, a tag editor with
completion, an HTML delegate for search snippets and a table that accepts
dropped files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMargins, QPoint, QRect, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QIcon, QPainter, QPalette, QPixmap, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QHeaderView,
    QLayout,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabBar,
    QTableView,
    QToolButton,
    QWidget,
)

from .theme import chip_colors, icon, is_dark


class FlowLayout(QLayout):
    """Lays children out left to right, wrapping like words."""

    def __init__(self, parent=None, spacing: int = 4):
        super().__init__(parent)
        self._items: list = []  # QLayoutItem
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item):
        self._items.append(item)

    def count(self):
        return len(self._items)

    def itemAt(self, index):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation(0)

    def hasHeightForWidth(self):
        return True

    def heightForWidth(self, width):
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect):
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self):
        return self.minimumSize()

    def minimumSize(self):
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            # An item wider than the line (a long tag) takes the line and elides.
            hint.setWidth(max(min(hint.width(), area.width()), item.minimumSize().width()))
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x = area.x()
                y += line_height + self._spacing
                line_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class TagChip(QToolButton):
    """A coloured tag; click to filter by it, × to remove it."""

    activated = Signal(str)
    remove_requested = Signal(str)

    def __init__(self, name: str, color: str | None, removable: bool = True, parent=None):
        super().__init__(parent)
        self.name = name
        self.setObjectName("tagChip")
        self._suffix = "  ×" if removable else ""
        self.setText(name + self._suffix)
        self.setToolTip(
            f"Show the documents tagged “{name}”" + (" (click × or press Delete to remove it)" if removable else "")
        )
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        background, foreground = chip_colors(color)
        self.setStyleSheet(f"QToolButton#tagChip {{ background: {background}; color: {foreground}; }}")
        self._removable = removable
        self.setAccessibleName(f"tag {name}")
        self._full: QSize | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # may shrink: see _fit

    # A long name elides in a narrow pane instead of widening it: the hint
    # is the whole name's, the minimum small, the text fitted to the width.

    def sizeHint(self) -> QSize:
        if self._full is None:
            shown = self.text()
            self.setText(self.name + self._suffix)
            self._full = super().sizeHint()
            self.setText(shown)
        return self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(min(self.sizeHint().width(), 60), self.sizeHint().height())

    def changeEvent(self, event):
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._full = None
            self.updateGeometry()
            self._fit()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        full = self.sizeHint()
        whole = self.name + self._suffix
        if self.width() >= full.width():
            text = whole
        else:
            metrics = self.fontMetrics()
            room = (
                self.width()
                - (full.width() - metrics.horizontalAdvance(whole))
                - metrics.horizontalAdvance(self._suffix)
            )
            text = metrics.elidedText(self.name, Qt.TextElideMode.ElideMiddle, room) + self._suffix
        if self.text() != text:
            self.setText(text)

    def event(self, event):
        # Delete on a chip removes the tag: the window's Delete (documents) must not take the key.
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event):
        # With the keyboard: Enter or Space shows its documents, Delete removes it.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.name)
        elif event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._removable:
            self.remove_requested.emit(self.name)
        else:
            super().keyPressEvent(event)

    def mouseReleaseEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            remove_zone = self._removable and event.position().x() > self.width() - 18
            super().mouseReleaseEvent(event)
            (self.remove_requested if remove_zone else self.activated).emit(self.name)
            return
        super().mouseReleaseEvent(event)


class TagLineEdit(QLineEdit):
    """A line edit completing existing tag names (case-insensitive, substring)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._names = QStringListModel(self)
        completer = QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.setPlaceholderText("Add a tag…")
        self.setClearButtonEnabled(True)

    def set_names(self, names) -> None:
        self._names.setStringList(list(names))

    def names(self) -> list[str]:
        return self._names.stringList()


class ElidedToolButton(QToolButton):
    """A toolbar button of a fixed width for an action whose text changes
    (Undo and the step it would undo): the text elided to fit, the whole of
    it in the tooltip."""

    def __init__(self, action, width: int, parent=None):
        super().__init__(parent)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setAutoRaise(True)
        self.setFixedWidth(width)
        self.setDefaultAction(action)
        self._fit()

    def actionEvent(self, event):
        super().actionEvent(event)  # copies the action's text, icon and tooltip
        if event.action() is self.defaultAction():
            self._fit()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        action = self.defaultAction()
        if action is None:
            return
        text = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        room = self.width() - self.iconSize().width() - 22  # the icon, the margins, the gap
        elided = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(room, 20))
        self.setText(elided.replace("&", "&&"))
        tip = action.toolTip()
        self.setToolTip(tip if elided == text or text in tip else f"{text}\n{tip}")


class ListCompleter(QCompleter):
    """Completes the last name of a comma-separated list ("wealth, insur"
    offers "insurance" and keeps "wealth, ")."""

    def splitPath(self, path: str) -> list[str]:
        return [path.rsplit(",", 1)[-1].strip()]

    def pathFromIndex(self, index) -> str:
        widget = self.widget()
        text = widget.text() if isinstance(widget, QLineEdit) else ""
        head = text.rsplit(",", 1)[0] + ", " if "," in text else ""
        return head + super().pathFromIndex(index)


class TagListEdit(TagLineEdit):
    """Several tag names, comma-separated, each completed in turn."""

    def __init__(self, parent=None):
        super().__init__(parent)
        completer = ListCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.setPlaceholderText("Comma-separated, e.g. fintech, digital-currency")

    def names_typed(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.text().split(",") if t.strip())


class TagEditor(QWidget):
    """Chips for the tags of a document plus a box to add one."""

    add_requested = Signal(str)
    remove_requested = Signal(str)
    tag_activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        # The box to add a tag flows after the chips, like one more chip,
        # so the chips get the whole width.
        self._flow = FlowLayout(self)
        self.line = TagLineEdit(self)
        self.line.setObjectName("addTagEdit")
        self.line.setFixedWidth(170)
        self.line.returnPressed.connect(self._return_pressed)
        # Queued: the line edit writes the picked completion into itself
        # from the same signal, in an order that depends on focus; once the
        # signal is done, the box can be emptied for good.
        self.line.completer().activated[str].connect(self._add, Qt.ConnectionType.QueuedConnection)
        self._flow.addWidget(self.line)
        self._chips: list[TagChip] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def set_tags(self, tags) -> None:
        """``tags``: TagInfo-like objects with name and color."""
        for chip in self._chips:
            self._flow.removeWidget(chip)
            chip.hide()
            chip.deleteLater()
        self._chips = []
        self._flow.removeWidget(self.line)
        for tag in tags:
            chip = TagChip(tag.name, tag.color, parent=self)
            chip.activated.connect(self.tag_activated)
            chip.remove_requested.connect(self.remove_requested)
            self._flow.addWidget(chip)
            chip.show()
            self._chips.append(chip)
        self._flow.addWidget(self.line)
        self.updateGeometry()

    def chips(self) -> list[TagChip]:
        return list(self._chips)

    def set_completions(self, names) -> None:
        self.line.set_names(names)

    def clear_entry(self) -> None:
        """Empty the box, so Enter cannot add leftover text to another document."""
        self.line.completer().popup().hide()
        self.line.clear()

    def _return_pressed(self) -> None:
        # Enter on a completion highlighted in the list reaches the box
        # first, then the completer says ``activated``: the add is left to that.
        popup = self.line.completer().popup()
        if not (popup.isVisible() and popup.currentIndex().isValid()):
            self._add(self.line.text())

    def _add(self, text: str) -> None:
        self.clear_entry()
        if text.strip():
            self.add_requested.emit(text.strip())


class HtmlDelegate(QStyledItemDelegate):
    """Two-line search hits: title, then the snippet with <b> highlights."""

    def __init__(self, snippet_role: int, meta=None, parent=None):
        super().__init__(parent)
        self._snippet_role = snippet_role
        self._meta = meta  # index -> "Blue paper · 2020"

    def _document(self, option: QStyleOptionViewItem, index) -> QTextDocument:
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        faint = QColor(text)
        faint.setAlphaF(0.72)
        title = _escape(index.data(Qt.ItemDataRole.DisplayRole) or "")
        meta = _escape(self._meta(index)) if self._meta else ""
        snippet = index.data(self._snippet_role) or ""
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(2)
        # A hit without a snippet (no summary, nothing matched in the text)
        # is one line: an empty second block left a blank band.
        body = f'<div style="color:{faint.name(QColor.NameFormat.HexArgb)}">{snippet}</div>' if snippet.strip() else ""
        document.setHtml(
            f'<div style="color:{text.name()}"><span style="font-weight:600">{title}</span>'
            f'&nbsp;&nbsp;<span style="color:{faint.name(QColor.NameFormat.HexArgb)}">{meta}</span></div>{body}'
        )
        # The row is as wide as the list: the rect the view hands sizeHint
        # is the last size hint's, which wrapped a one-line title in two.
        view = option.widget
        room = view.viewport().width() if isinstance(view, QAbstractItemView) else option.rect.width()
        width = room - 34 if room > 0 else 600
        document.setTextWidth(max(width, 200))
        return document

    def paint(self, painter: QPainter, option, index):
        option = QStyleOptionViewItem(option)
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        document = self._document(option, index)
        option.text = ""
        decoration = QIcon(option.icon)
        option.icon = QIcon()
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.HasDecoration
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        icon_rect = QRect(option.rect.x() + 6, option.rect.y() + 7, 18, 18)
        if not decoration.isNull():
            decoration.paint(painter, icon_rect)
        painter.save()
        painter.translate(option.rect.x() + 30, option.rect.y() + 3)
        context = QAbstractTextDocumentLayout.PaintContext()
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option, index):
        option = QStyleOptionViewItem(option)
        self.initStyleOption(option, index)
        document = self._document(option, index)
        return QSize(int(document.idealWidth()) + 34, int(document.size().height()) + 8)


class TagColumnDelegate(QStyledItemDelegate):
    """Paints the Tags column as small coloured chips.

    Each tag's chip is drawn once into a pixmap, kept by (name, colour,
    font, light/dark, pixel ratio): a few hundred tags serve every row, so a
    repaint draws the cell's background and one pixmap per chip.
    """

    CACHE = 2000  # chip pixmaps

    def __init__(self, colors, names_role: int, parent=None):
        super().__init__(parent)
        self._colors = colors  # callable: name -> colour or None
        self._names_role = names_role
        self._chips: dict[tuple, tuple[QPixmap, int]] = {}

    def paint(self, painter: QPainter, option, index):
        names = index.data(self._names_role) or ()
        widget = option.widget
        style = widget.style() if widget else None
        if style:
            background = QStyleOptionViewItem(option)
            self.initStyleOption(background, index)
            background.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)
        if not names:
            return
        rect = option.rect
        metrics = option.fontMetrics
        height = metrics.height() + 2
        x = rect.x() + 4
        y = rect.y() + (rect.height() - height) // 2
        right = rect.right() - 2
        font_key = option.font.key()
        dark = is_dark()
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        last = len(names) - 1
        for n, name in enumerate(names):
            color = self._colors(name)
            key = (name, color, font_key, dark, ratio)
            chip = self._chips.get(key)
            if chip is None:
                if len(self._chips) >= self.CACHE:
                    self._chips.clear()
                chip = self._chips[key] = _chip_pixmap(name, color, option.font, metrics, height, ratio)
            pixmap, width = chip
            room = right - x - (16 if n < last else 0)
            if n == 0 and width > room:  # the first chip always shows, elided
                elided = metrics.elidedText(name, Qt.TextElideMode.ElideRight, max(room - 12, 10))
                pixmap, width = _chip_pixmap(elided, color, option.font, metrics, height, ratio)
            if x + width > right:
                painter.save()
                painter.setPen(option.palette.color(QPalette.ColorRole.Text))
                painter.drawText(QRect(x, y, 20, height), Qt.AlignmentFlag.AlignVCenter, "…")
                painter.restore()
                break
            painter.drawPixmap(x, y, pixmap)
            x += width + 4


def _chip_pixmap(name: str, color: str | None, font, metrics, height: int, ratio: float) -> tuple[QPixmap, int]:
    width = metrics.horizontalAdvance(name) + 12
    pixmap = QPixmap(max(1, round(width * ratio)), max(1, round(height * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(font)
    background, foreground = chip_colors(color)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(background))
    painter.drawRoundedRect(QRect(0, 0, width, height), height / 2, height / 2)
    painter.setPen(QColor(foreground))
    painter.drawText(QRect(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, name)
    painter.end()
    return pixmap, width


class DocumentTable(QTableView):
    """The browsing table: sortable header, multi-select, files droppable on
    a row, and columns that give way to the title when the table is narrow."""

    files_dropped = Signal(int, list)  # document id, paths
    TITLE_ROOM = 220  # px the title keeps before other columns are hidden

    def __init__(self, parent=None):
        super().__init__(parent)
        self._title: int | None = None
        self._optional: list[int] = []  # hidden first to last as room runs out
        self._always_hidden: set[int] = set()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)  # the window's document menu
        self.setTabKeyNavigation(False)  # Tab leaves the table (arrows move within it)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setSortingEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        # Files drop on a row; rows drag out (onto a collection in the sidebar).
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDragEnabled(True)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionsMovable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setContentsMargins(QMargins())

    def set_column_priorities(self, title: int, optional: list[int], always_hidden=()) -> None:
        self._title, self._optional, self._always_hidden = title, list(optional), set(always_hidden)
        for column in self._always_hidden:
            self.setColumnHidden(column, True)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Hide optional columns while the title would be narrower than
        TITLE_ROOM (a 900 px window left it 40 px); show them when there is room."""
        if self._title is None or self.model() is None or not self.isVisible():
            return  # sized for real once shown
        for column in self._optional:
            if column not in self._always_hidden:
                self.setColumnHidden(column, False)
        columns = range(self.model().columnCount())
        for column in self._optional:
            others = sum(self.columnWidth(c) for c in columns if c != self._title and not self.isColumnHidden(c))
            if self.viewport().width() - others >= self.TITLE_ROOM:
                break
            self.setColumnHidden(column, True)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.fit_columns()

    def showEvent(self, event):
        super().showEvent(event)
        self.fit_columns()

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()  # only files drop here (its own rows drag out)

    def dragMoveEvent(self, event):
        if event.mimeData().hasUrls() and self.indexAt(event.position().toPoint()).isValid():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):
        paths = local_paths(event.mimeData())
        index = self.indexAt(event.position().toPoint())
        if paths and index.isValid():
            from .models import DocumentIdRole

            event.acceptProposedAction()
            self.files_dropped.emit(index.data(DocumentIdRole), paths)
        else:
            event.ignore()


def local_paths(mime) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PageStack(QStackedWidget):
    """A stack as small as its current page allows: QStackedWidget asks the
    largest minimum of all its pages, so the Tags tab's row of buttons kept
    the window from getting narrower on every tab."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()

    def sizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()


class TabArea(QWidget):
    """A tab bar whose pages live in a separate stack.

    The main window puts the bar across the whole width and the pages beside
    the detail pane; the API mirrors the parts of QTabWidget it needs.
    """

    currentChanged = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.bar = QTabBar()
        self.bar.setObjectName("tabBar")
        self.bar.setDocumentMode(True)
        self.bar.setExpanding(False)
        self.bar.setDrawBase(True)
        self.stack = PageStack()
        self._icons: list[str] = []  # by tab, to tint them again
        self.bar.currentChanged.connect(self._changed)

    def addTab(self, widget: QWidget, icon_name: str, label: str) -> int:
        self.stack.addWidget(widget)
        self._icons.append(icon_name)
        return self.bar.addTab(icon(icon_name), label)

    def restyle(self) -> None:
        for index, name in enumerate(self._icons):
            self.bar.setTabIcon(index, icon(name))

    def _changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.currentChanged.emit(index)

    def count(self) -> int:
        return self.bar.count()

    def currentIndex(self) -> int:
        return self.bar.currentIndex()

    def setCurrentIndex(self, index: int) -> None:
        self.bar.setCurrentIndex(index)

    def currentWidget(self) -> QWidget:
        return self.stack.currentWidget()

    def setCurrentWidget(self, widget: QWidget) -> None:
        self.bar.setCurrentIndex(self.stack.indexOf(widget))

    def widget(self, index: int) -> QWidget:
        return self.stack.widget(index)

    def indexOf(self, widget: QWidget) -> int:
        return self.stack.indexOf(widget)

    def tabText(self, index: int) -> str:
        return self.bar.tabText(index)
