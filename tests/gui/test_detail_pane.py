"""The detail pane: the files of a document in reach, a split that stays
where the user put it, and pages turned from the keyboard."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea

from finweek_desktop.gui.file_strip import AttachmentRole
from finweek_desktop.gui.main_window import MainWindow
from finweek_desktop.gui.preview import PreviewWidget

from gui_helpers import BLUE_PAPER, idle, select_title

NEWS = "3rd Shizimen Finance Week brings new ideas"


def drag_splitter(qtbot, splitter, index: int, dy: int) -> None:
    """Press on a splitter handle, move the mouse with the button held, release."""
    handle = splitter.handle(index)
    start = QPointF(handle.width() / 2, handle.height() / 2)
    end = start + QPointF(0, dy)
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, end, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)):
        event = QMouseEvent(kind, pos, handle.mapToGlobal(pos), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(handle, event)
    qtbot.wait(20)


def click_file(qtbot, window, name: str) -> None:
    strip = window.detail.attachments
    item = next(strip.item(r) for r in range(strip.count()) if strip.item(r).data(AttachmentRole).original_name == name)
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualItemRect(item).center())


def preview_height(window) -> int:
    return window.detail.splitter.sizes()[1]


def preview_share(window) -> float:
    sizes = window.detail.splitter.sizes()
    return sizes[1] / sum(sizes)


def test_the_files_are_in_sight_without_scrolling(qtbot, window):
    select_title(qtbot, window.all_tab, NEWS)
    strip = window.detail.attachments
    qtbot.waitUntil(lambda: strip.count() == 2)
    scroll = window.detail.findChild(QScrollArea)
    assert not scroll.isAncestorOf(strip)  # not inside the scrolled metadata
    top_left = strip.mapTo(window, QPoint(0, 0))
    assert strip.isVisible() and window.rect().contains(top_left + QPoint(strip.width() - 1, strip.height() - 1))
    for row in range(strip.count()):
        assert window.detail.rect().intersects(strip.visualItemRect(strip.item(row)).translated(strip.pos()))
    assert window.detail.tags.line.visibleRegion().boundingRect().height() > 0  # the tag box too
    idle(qtbot, window)


def test_fields_without_a_value_are_left_out(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    assert service.documents.get_document(doc_id).language is None
    form = window.detail.form
    language = window.detail.findChild(QLabel, "field_language")
    assert not form.isRowVisible(language)
    assert form.isRowVisible(window.detail.findChild(QLabel, "field_date"))
    select_title(qtbot, window.all_tab, NEWS)  # in English
    assert form.isRowVisible(language) and language.text() == "English"
    idle(qtbot, window)


def test_thumbnails_are_big_enough_to_recognise(qtbot, window):
    select_title(qtbot, window.all_tab, NEWS)
    strip = window.detail.attachments
    idle(qtbot, window)
    assert strip.iconSize().width() >= 48 and strip.iconSize().height() >= 48
    for row in range(strip.count()):
        attachment = strip.item(row).data(AttachmentRole)
        assert strip.has_thumbnail(attachment.id)
        pixmap = strip.item(row).icon().pixmap(strip.iconSize())
        assert max(pixmap.width(), pixmap.height()) >= 48, attachment.original_name


def test_clicking_a_file_tile_previews_it(qtbot, window):
    select_title(qtbot, window.all_tab, NEWS)
    click_file(qtbot, window, "hengqin-finance-timeline.png")
    preview = window.detail.preview
    qtbot.waitUntil(lambda: preview.mode == PreviewWidget.IMAGE and not preview.page_box.isVisible(), timeout=10000)
    idle(qtbot, window)


def test_the_preview_keeps_the_height_the_user_gave_it(qtbot, window):
    select_title(qtbot, window.all_tab, NEWS)
    splitter = window.detail.splitter
    before = preview_height(window)
    drag_splitter(qtbot, splitter, 1, -120)  # a taller preview
    chosen = preview_height(window)
    assert chosen >= before + 100
    select_title(qtbot, window.all_tab, "Theme forums")  # another document with a file
    assert abs(preview_height(window) - chosen) <= 2
    select_title(qtbot, window.all_tab, BLUE_PAPER)  # no file: a slim drop strip
    assert preview_height(window) < 120
    select_title(qtbot, window.all_tab, NEWS)
    assert abs(preview_height(window) - chosen) <= 2
    idle(qtbot, window)


def test_the_preview_height_persists_across_a_restart(qtbot, catalog, settings):
    first = MainWindow(catalog, settings=settings)
    qtbot.addWidget(first)
    first.resize(1280, 800)
    first.show()
    select_title(qtbot, first.all_tab, NEWS)
    drag_splitter(qtbot, first.detail.splitter, 1, 80)  # a smaller preview, above its minimum height
    idle(qtbot, first)
    chosen = first.detail.preview_share  # what the drag made of the height
    assert chosen is not None and chosen < 0.45  # smaller than the half it starts with
    assert abs(preview_share(first) - chosen) <= 0.01
    first.close()
    idle(qtbot, first)

    second = MainWindow(catalog, settings=settings)
    qtbot.addWidget(second)
    second.resize(1280, 800)
    second.show()
    select_title(qtbot, second.all_tab, NEWS)
    # The share of the pane's height persists (the pane itself may be laid
    # out a few pixels taller or shorter in the new window).
    assert abs(preview_share(second) - chosen) <= 0.01
    second.close()
    idle(qtbot, second)


def test_page_down_and_page_up_turn_pdf_pages(qtbot, window):
    select_title(qtbot, window.all_tab, NEWS)
    click_file(qtbot, window, "shizimen-finance-week-fact-sheet.pdf")
    preview = window.detail.preview
    qtbot.waitUntil(lambda: preview.mode == PreviewWidget.IMAGE and preview.page_box.maximum() == 3, timeout=20000)
    # a click on the page, through the window as a real click comes, gives it the focus
    page = preview.scroll_area.viewport()
    where = page.mapTo(window, page.rect().center())
    qtbot.mouseClick(window.windowHandle(), Qt.MouseButton.LeftButton, pos=where)
    target = QApplication.focusWidget()
    assert preview.isAncestorOf(target) or target is preview
    qtbot.keyClick(target, Qt.Key.Key_PageDown)
    assert preview.current_page == 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageDown)
    assert preview.current_page == 2 and preview.page_box.value() == 3
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageUp)
    assert preview.current_page == 1
    idle(qtbot, window)


def test_image_preview_fits_then_zooms(qtbot, window):
    select_title(qtbot, window.all_tab, NEWS)
    click_file(qtbot, window, "hengqin-finance-timeline.png")
    preview = window.detail.preview
    qtbot.waitUntil(lambda: preview.mode == PreviewWidget.IMAGE, timeout=10000)
    area = preview.scroll_area.viewport().size()
    fitted = preview.image.pixmap().size()
    assert preview.zoom is None and preview.zoom_label.text() == "Fit"
    assert fitted.width() <= area.width() and fitted.height() <= area.height()
    while preview.zoom is None or preview.zoom < 1.5:
        qtbot.mouseClick(preview.zoom_in, Qt.MouseButton.LeftButton)
    zoomed = preview.image.pixmap().size()
    assert zoomed.width() > fitted.width() and preview.zoom_label.text().endswith("%")
    qtbot.waitUntil(lambda: preview.scroll_area.horizontalScrollBar().maximum() > 0)  # bigger than the area: it scrolls
    qtbot.mouseClick(preview.zoom_fit, Qt.MouseButton.LeftButton)
    assert preview.zoom is None
    qtbot.waitUntil(lambda: preview.image.pixmap().size() == fitted)  # the room the scroll bars left, too
    assert preview.image.pixmap().size() != QSize(0, 0)
    idle(qtbot, window)
