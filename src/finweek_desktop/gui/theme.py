"""Icons from ``resources/icons`` and the look that follows the system palette.

The SVGs are drawn with ``currentColor``; they are tinted with the palette's
text colour when loaded, so they read well in light and dark mode alike.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from ..core.resources import resource_path
from ..core.vocabulary import DocumentKind

KIND_ICONS = {
    DocumentKind.REPORT: "report",
    DocumentKind.BLUE_PAPER: "blue-paper",
    DocumentKind.INITIATIVE: "initiative",
    DocumentKind.SESSION_RECORD: "session",
    DocumentKind.NEWS_ARTICLE: "news",
}

ACCENT = "#2563eb"


def is_dark(palette: QPalette | None = None) -> bool:
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def text_color() -> str:
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()


def icon(name: str) -> QIcon:
    return _icon(name, text_color())


@cache
def _icon(name: str, color: str) -> QIcon:
    path = resource_path("icons", f"{name}.svg")
    data = path.read_text(encoding="utf-8").replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(data.encode()))
    result = QIcon()
    for size in (16, 20, 24, 32, 48):
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    # A greyed variant for disabled actions.
    faded = QColor(color)
    faded.setAlphaF(0.35)
    data = path.read_text(encoding="utf-8").replace("currentColor", faded.name(QColor.NameFormat.HexArgb))
    renderer = QSvgRenderer(QByteArray(data.encode()))
    for size in (16, 24, 32):
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap, QIcon.Mode.Disabled)
    return result


def app_icon() -> QIcon:
    return QIcon(str(resource_path("icons", "app.svg")))


def kind_icon(kind: str) -> QIcon:
    try:
        return icon(KIND_ICONS[DocumentKind(kind)])
    except (ValueError, KeyError):
        return icon("document")


def kind_label(kind: str) -> str:
    try:
        return DocumentKind(kind).label
    except ValueError:
        return kind


def chip_colors(color: str | None) -> tuple[str, str]:
    """Background and text colour of a tag chip."""
    return _chip_colors(color, is_dark())


@cache
def _chip_colors(color: str | None, dark: bool) -> tuple[str, str]:
    base = QColor(color or "#94a3b8")
    if dark:
        background = _mix(base, QColor("#1f2329"), 0.38)
        foreground = _mix(base, QColor("#ffffff"), 0.35)
    else:
        background = _mix(base, QColor("#ffffff"), 0.2)
        foreground = _mix(base, QColor("#000000"), 0.55)
    return background.name(), foreground.name()


def _mix(color: QColor, other: QColor, amount: float) -> QColor:
    """``amount`` of ``color`` over ``other``."""
    return QColor(
        round(color.red() * amount + other.red() * (1 - amount)),
        round(color.green() * amount + other.green() * (1 - amount)),
        round(color.blue() * amount + other.blue() * (1 - amount)),
    )


def stylesheet() -> str:
    """A few touches on top of the native style; colours come from the palette."""
    return """
    QTabWidget::pane { border: none; }
    QTableView { gridline-color: transparent; }
    QTableView::item { padding: 2px 6px; }
    QLabel#detailTitle { font-size: 15pt; font-weight: 600; }
    QLabel#sectionLabel { font-weight: 600; color: palette(mid); margin-top: 8px; }
    QLabel#searchMessage { padding: 4px 6px; border-radius: 4px; }
    QLabel#filterChip { padding: 2px 8px; border-radius: 9px; background: palette(highlight);
                        color: palette(highlighted-text); }
    QToolButton#tagChip { border: none; border-radius: 9px; padding: 1px 8px; }
    QLineEdit#searchBox { padding: 5px 8px; font-size: 11pt; }
    """
