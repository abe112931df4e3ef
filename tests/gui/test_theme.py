"""The look: icons that show when disabled, readable secondary text, and a
window that follows a light/dark switch while it runs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QToolButton

from finweek_desktop.gui.main_window import MainWindow
from finweek_desktop.gui.theme import is_dark

from gui_helpers import BLUE_PAPER, idle, opaque_pixels, search, select_title


def test_a_disabled_icon_still_shows(qtbot, window):
    # Nothing to undo yet: the toolbar's Undo button is disabled but keeps its icon.
    assert not window.undo_action.isEnabled()
    button = next(b for b in window.findChildren(QToolButton) if b.defaultAction() is window.undo_action)
    pixmap = button.icon().pixmap(QSize(24, 24), QIcon.Mode.Disabled)
    assert opaque_pixels(pixmap) > 10
    # fainter than the enabled one, though
    normal = button.icon().pixmap(QSize(24, 24)).toImage()
    disabled = pixmap.toImage()
    strongest = lambda image: max(image.pixelColor(x, y).alpha() for x in range(24) for y in range(24))  # noqa: E731
    assert strongest(disabled) < strongest(normal)


def dark_palette() -> QPalette:
    palette = QPalette()
    R = QPalette.ColorRole
    for role, color in ((R.Window, "#2b2b2b"), (R.WindowText, "#e6e6e6"), (R.Base, "#1e1e1e"),
                        (R.AlternateBase, "#262626"), (R.Text, "#e6e6e6"), (R.Button, "#333333"),
                        (R.ButtonText, "#e6e6e6"), (R.Highlight, "#2f65ca"), (R.HighlightedText, "#ffffff"),
                        (R.PlaceholderText, "#8a8a8a"), (R.Mid, "#4a4a4a"), (R.Dark, "#202020"),
                        (R.Light, "#505050"), (R.Midlight, "#404040")):
        palette.setColor(role, QColor(color))
    return palette


def luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def heading_contrast(window) -> float:
    label = next(label for label in window.detail.findChildren(QLabel, "sectionLabel") if label.isVisible())
    label.ensurePolished()
    return contrast(label.palette().color(QPalette.ColorRole.WindowText), window.palette().color(QPalette.ColorRole.Window))


def role_color(window) -> QColor:
    text = window.detail.organizations.text()
    return QColor(text.split("color:")[1].split("'")[0])


def brightness(icon_: QIcon) -> int:
    image = icon_.pixmap(QSize(24, 24)).toImage()
    values = [image.pixelColor(x, y).value() for x in range(24) for y in range(24) if image.pixelColor(x, y).alpha() > 200]
    return sum(values) // len(values)


@pytest.fixture
def restore_palette():
    app = QApplication.instance()
    before = QPalette(app.palette())
    yield app
    app.setPalette(before)


def test_section_headings_and_roles_are_readable(qtbot, window):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    assert heading_contrast(window) >= 4
    assert contrast(role_color(window), window.palette().color(QPalette.ColorRole.Window)) >= 3.5


def test_the_window_follows_a_switch_to_dark_mode(qtbot, window, restore_palette):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    chip = window.detail.tags.chips()[0]
    light_chip = chip.styleSheet()
    assert brightness(window.new_action.icon()) < 100  # dark icons on a light window
    restore_palette.setPalette(dark_palette())
    qtbot.waitUntil(lambda: brightness(window.new_action.icon()) > 150)  # light icons now
    tab_icon = window.tabs.bar.tabIcon(0)
    assert brightness(tab_icon) > 150
    assert brightness(window.detail.edit_button.icon()) > 150
    assert heading_contrast(window) >= 4
    assert contrast(role_color(window), QColor("#2b2b2b")) >= 3.5
    assert window.detail.tags.chips()[0].styleSheet() != light_chip
    # an error banner in the dark is dark too
    search(qtbot, window, "title:(")
    qtbot.waitUntil(lambda: window.search_tab.message.isVisible(), timeout=10000)
    assert "#fee2e2" not in window.search_tab.message.styleSheet()


def choose_theme(qtbot, window, label: str) -> None:
    """View > Theme > ``label``, clicked in the menus."""
    bar = window.menuBar()
    view = next(a for a in bar.actions() if a.text() == "&View")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(view).center())
    menu = view.menu()
    qtbot.waitUntil(menu.isVisible)
    theme = next(a for a in menu.actions() if a.text() == "&Theme")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(theme).center())
    submenu = theme.menu()
    qtbot.waitUntil(submenu.isVisible)
    choice = next(a for a in submenu.actions() if a.text().replace("&", "") == label)
    qtbot.mouseClick(submenu, Qt.MouseButton.LeftButton, pos=submenu.actionGeometry(choice).center())
    qtbot.waitUntil(lambda: not submenu.isVisible() and not menu.isVisible())


def test_view_theme_dark_light_and_system_are_remembered(qtbot, window, catalog, settings, restore_palette):
    system = restore_palette.palette().color(QPalette.ColorRole.Window).name()
    choose_theme(qtbot, window, "Dark")
    assert is_dark()
    qtbot.waitUntil(lambda: brightness(window.new_action.icon()) > 150)  # the icons follow
    assert window.theme_actions["dark"].isChecked()
    assert settings.value("view/theme") == "dark"
    window.close()

    restore_palette.setPalette(QPalette())  # a new start, on a light system
    assert not is_dark()
    again = MainWindow(catalog, settings=settings)
    qtbot.addWidget(again)
    again.show()
    assert is_dark() and again.theme_actions["dark"].isChecked()  # remembered
    choose_theme(qtbot, again, "Light")
    assert not is_dark() and settings.value("view/theme") == "light"
    choose_theme(qtbot, again, "System")
    assert restore_palette.palette().color(QPalette.ColorRole.Window).name() == system
    assert settings.value("view/theme") == "system"
    again.close()


def test_in_the_dark_text_fields_and_tick_boxes_show(qtbot, window, restore_palette):
    restore_palette.setPalette(dark_palette())
    qtbot.waitUntil(is_dark)
    idle(qtbot, window)
    window_color = window.palette().color(QPalette.ColorRole.Window)
    edit = window.all_tab.filter_edit
    qtbot.waitUntil(lambda: contrast(edit.grab().toImage().pixelColor(edit.width() // 2, 0), window_color) >= 1.8)
    search(qtbot, window, "digital")
    tab = window.search_tab
    qtbot.waitUntil(lambda: tab.tags.count() > 0, timeout=10000)
    rect = tab.tags.visualItemRect(tab.tags.item(0))
    image = tab.tags.viewport().grab(rect).toImage()
    base = tab.tags.palette().color(QPalette.ColorRole.Base)
    # the empty tick box's outline, left of the tag's name, stands out from the list
    strong = [image.pixelColor(x, y) for x in range(0, 20) for y in range(image.height())
              if contrast(image.pixelColor(x, y), base) >= 2.5]
    assert len(strong) >= 12
