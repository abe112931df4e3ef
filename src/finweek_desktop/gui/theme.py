"""Icons from ``resources/icons`` and the look that follows the system palette.

The SVGs are drawn with ``currentColor``; they are tinted with the palette's
text colour when loaded, so they read well in light and dark mode alike.
Widgets set their icons through ``set_icon`` so that a palette change at run
time (the system switching to dark mode) can tint them again: ``restyle``
clears the caches and walks the widgets that asked for a themed icon.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QPointF, QSize, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QAbstractButton

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
ICON_SIZES = (16, 20, 24, 32, 48)
DISABLED_OPACITY = 0.38
ICON_PROPERTY = "themeIcon"  # the icon name a widget or action was given by set_icon


def palette() -> QPalette:
    return QGuiApplication.palette()


# -- View > Theme: System, Light or Dark ----------------------------------------

THEMES = {"system": "&System", "light": "&Light", "dark": "&Dark"}

_DARK = {
    "Window": "#2b2b2b",
    "WindowText": "#e6e6e6",
    "Base": "#1e1e1e",
    "AlternateBase": "#262626",
    "ToolTipBase": "#2b2b2b",
    "ToolTipText": "#e6e6e6",
    "Text": "#e6e6e6",
    "Button": "#333333",
    "ButtonText": "#e6e6e6",
    "BrightText": "#ff6b6b",
    "Link": "#7aa7ff",
    "LinkVisited": "#b39cff",
    "Highlight": "#2f65ca",
    "HighlightedText": "#ffffff",
    "PlaceholderText": "#8a8a8a",
    "Light": "#505050",
    "Midlight": "#404040",
    "Mid": "#4a4a4a",
    "Dark": "#202020",
    "Shadow": "#141414",
}
_DARK_DISABLED = {
    "WindowText": "#7a7a7a",
    "Text": "#7a7a7a",
    "ButtonText": "#7a7a7a",
    "Highlight": "#3a3a3a",
    "HighlightedText": "#9a9a9a",
}


def dark_palette() -> QPalette:
    result = QPalette()
    for role, color in _DARK.items():
        result.setColor(getattr(QPalette.ColorRole, role), QColor(color))
    for role, color in _DARK_DISABLED.items():
        result.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor(color))
    return result


def light_palette() -> QPalette:
    from PySide6.QtWidgets import QApplication

    return QApplication.style().standardPalette()


def apply_theme(name: str) -> None:
    """Light or dark whatever the system says, or the system's again: the
    window follows the palette change (icons, chips, colours)."""
    hints = QGuiApplication.styleHints()
    scheme = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(name)
    if hasattr(hints, "setColorScheme"):  # Qt 6.8: native title bars and dialogs follow too
        if scheme is None:
            hints.unsetColorScheme()
        else:
            hints.setColorScheme(scheme)
    if name == "dark":
        QGuiApplication.setPalette(dark_palette())
    elif name == "light":
        QGuiApplication.setPalette(light_palette())
    else:
        QGuiApplication.setPalette(QPalette())  # no palette of our own: the system's


def is_dark(pal: QPalette | None = None) -> bool:
    # The palette, not QStyleHints.colorScheme(): an application palette set
    # by the user (or a desktop that reports no scheme) is what is painted.
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def text_color() -> str:
    return palette().color(QPalette.ColorRole.WindowText).name()


def muted_color(pal: QPalette | None = None) -> str:
    """Secondary text (section headings, roles): the text colour faded
    towards the window, as opaque colour so rich text can use it too.
    palette(mid) is a frame colour and all but vanishes in dark mode."""
    pal = pal or palette()
    return _mix(pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window), 0.62).name()


def icon(name: str) -> QIcon:
    return _icon(name, text_color())


def set_icon(target: QAction | QAbstractButton, name: str) -> None:
    """Give a button or action a themed icon that ``restyle`` can re-tint."""
    target.setProperty(ICON_PROPERTY, name)
    target.setIcon(icon(name))


def refresh_icons(root: QObject) -> None:
    for obj in (root, *root.findChildren(QObject)):
        name = obj.property(ICON_PROPERTY)
        if name and isinstance(obj, (QAction, QAbstractButton)):
            obj.setIcon(icon(name))


def clear_caches() -> None:
    _icon.cache_clear()
    _chip_colors.cache_clear()


@cache
def _icon(name: str, color: str) -> QIcon:
    path = resource_path("icons", f"{name}.svg")
    data = path.read_text(encoding="utf-8").replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(data.encode()))
    result = QIcon()
    for size in ICON_SIZES:
        result.addPixmap(_render(renderer, size, 1.0))
        # Faded with the painter's opacity: the SVG renderer ignores colours
        # written with an alpha (#AARRGGBB), which left disabled icons blank.
        result.addPixmap(_render(renderer, size, DISABLED_OPACITY), QIcon.Mode.Disabled)
    return result


def _render(renderer: QSvgRenderer, size: int, opacity: float) -> QPixmap:
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setOpacity(opacity)
    renderer.render(painter)
    painter.end()
    return pixmap


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


def banner_colors(level: str) -> tuple[str, str]:
    """Background and text of an "error" or "notice" banner, for the mode."""
    if is_dark():
        return {"error": ("#4c1d1d", "#fecaca"), "notice": ("#453412", "#fde68a")}[level]
    return {"error": ("#fee2e2", "#991b1b"), "notice": ("#fef3c7", "#92400e")}[level]


def error_text_color() -> str:
    return "#f87171" if is_dark() else "#b91c1c"


def _mix(color: QColor, other: QColor, amount: float) -> QColor:
    """``amount`` of ``color`` over ``other``."""
    return QColor(
        round(color.red() * amount + other.red() * (1 - amount)),
        round(color.green() * amount + other.green() * (1 - amount)),
        round(color.blue() * amount + other.blue() * (1 - amount)),
    )


def stylesheet() -> str:
    """A few touches on top of the native style; colours come from the palette."""
    return f"""
    QTabWidget::pane {{ border: none; }}
    QTableView {{ gridline-color: transparent; }}
    QTableView::item {{ padding: 2px 6px; }}
    QLabel#detailTitle {{ font-size: 15pt; font-weight: 600; }}
    QLabel#sectionLabel {{ font-weight: 600; color: {muted_color()}; margin-top: 8px; }}
    QLabel#searchMessage {{ padding: 4px 6px; border-radius: 4px; }}
    QLabel#hintLabel {{ color: {muted_color()}; margin-top: 8px; }}
    QLabel#filterChip {{ padding: 2px 8px; border-radius: 9px; background: palette(highlight);
                        color: palette(highlighted-text); }}
    QToolButton#tagChip {{ border: 2px solid transparent; border-radius: 10px; padding: 0px 7px; }}
    QLineEdit#searchBox {{ padding: 5px 8px; font-size: 11pt; }}
    {focus_rules()}
    {dark_field_rules() if is_dark() else ""}
    """


def dark_field_rules() -> str:
    """On a dark palette the style frames text fields in a shade of the
    window colour: the filter and "Add a tag…" boxes did not show."""
    return f"""
    QLineEdit[frame="true"], QPlainTextEdit {{ border: 1px solid {_frame_color()}; border-radius: 3px;
                                              background: palette(base); }}
    QLineEdit[frame="true"] {{ padding: 2px 4px; }}
    QLineEdit[frame="true"]:focus, QPlainTextEdit:focus {{ border-color: palette(highlight); }}
    """


# Where the keyboard is, in light and dark alike: the style's own focus
# marks are faint (a tool button) or missing (a chip, a list whose selection
# looks the same with and without the focus). A frame in the highlight
# colour, the same width with and without the focus, so nothing moves.
FOCUS_FRAMED = ("QTableView", "QListView", "QTreeView", "QTextBrowser", "QScrollArea#previewScroll")


def focus_rules() -> str:
    framed = ", ".join(FOCUS_FRAMED)
    focused = ", ".join(f"{name}:focus" for name in FOCUS_FRAMED)
    return f"""
    {framed} {{ border: 1px solid {_frame_color()}; padding: 1px; }}
    {focused} {{ border: 2px solid palette(highlight); padding: 0px; }}
    QListWidget#attachmentList {{ border: 2px solid transparent; }}
    QListWidget#attachmentList:focus {{ border: 2px solid palette(highlight); }}
    QToolButton#tagChip:focus {{ border-color: palette(highlight); }}
    QToolButton[autoRaise="true"]:focus {{ border: 2px solid palette(highlight); border-radius: 4px; }}
    QTabBar#tabBar::tab:selected:focus {{ border: 2px solid palette(highlight); border-bottom-color: palette(window);
        border-top-left-radius: 3px; border-top-right-radius: 3px; background: palette(window);
        padding: 0px 6px; }}
    {facet_rules()}
    """


def facet_rules() -> str:
    """The Search tab's tick boxes, drawn here: the style outlines them in
    a shade of the window colour, which all but vanishes on a dark palette."""
    boxes = "QListWidget#kindFacets::indicator, QListWidget#tagFacets::indicator"
    ticked = "QListWidget#kindFacets::indicator:checked, QListWidget#tagFacets::indicator:checked"
    return f"""
    QListWidget#kindFacets::item, QListWidget#tagFacets::item {{ padding: 1px 0px; }}
    {boxes} {{ width: 11px; height: 11px; border: 1px solid {
        _mix(palette().color(QPalette.ColorRole.Text), palette().color(QPalette.ColorRole.Base), 0.55).name()
    };
               border-radius: 3px; background: palette(base); }}
    {ticked} {{ border-color: palette(highlight); background: palette(highlight);
               image: url({_tick_image(palette().color(QPalette.ColorRole.HighlightedText).name())}); }}
    """


@cache
def _tick_image(color: str) -> str:
    """A tick in ``color``, as a file a stylesheet can name (made once)."""
    folder = Path(tempfile.gettempdir()) / "finweek-desktop"
    path = folder / f"tick-{color.lstrip('#')}.png"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        pixmap = QPixmap(24, 24)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(color), 3.2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawPolyline([QPointF(5, 12.5), QPointF(10, 17.5), QPointF(19, 7)])
        painter.end()
        pixmap.save(str(path), "PNG")
    return path.as_posix()


def _frame_color() -> str:
    """The frame of an unfocused list: palette(mid) all but vanishes in the dark."""
    pal = palette()
    return _mix(pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window), 0.28).name()
