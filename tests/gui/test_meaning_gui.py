"""Search by meaning in the window: the Search tab's mode control, and the
detail pane's related documents (computed on a worker, clickable)."""

from __future__ import annotations

from gui_helpers import idle, search
from PySide6.QtCore import Qt

from finweek_desktop.core.records import NewDocument


def _add_motor_insurance(window) -> dict[str, int]:
    service = window.service
    ids = {}
    for key, title, summary, language in (
        (
            "pt",
            "Seguro automóvel transfronteiriço",
            "Os carros de Macau que entram em Hengqin têm uma só apólice.",
            "pt",
        ),
        ("zh", "两地车辆保险互认安排", "澳门车辆驶入横琴时，只需购买一份两地都承认的保单。", "zh-Hans"),
    ):
        ids[key] = service.documents.create_document(
            NewDocument(kind="report", title=title, summary=summary, language=language)
        ).id
    assert service.meaning.catch_up()
    return ids


def test_the_mode_control_searches_by_words_or_meaning(qtbot, window):
    ids = _add_motor_insurance(window)
    tab = window.search_tab
    assert tab.mode.currentData() == "hybrid"  # the default the relevance set chose
    tab.mode.setCurrentIndex(tab.mode.findData("words"))
    search(qtbot, window, "")
    tab.box.setText("seguro automóvel transfronteiriço")  # keyClicks types ASCII only
    with qtbot.waitSignal(tab.searched, timeout=20000):
        qtbot.keyClick(tab.box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=20000)
    with qtbot.waitSignal(tab.searched, timeout=20000):
        tab.mode.setCurrentIndex(tab.mode.findData("meaning"))
    titles = tab.result_titles()
    assert set(titles[:2]) == {"Seguro automóvel transfronteiriço", "两地车辆保险互认安排"}
    assert "2020 Digital Currency Blue Paper" not in titles  # far in meaning: below the floor
    idle(qtbot, window)
    assert ids


def test_the_detail_pane_lists_related_documents_and_a_click_shows_one(qtbot, window):
    ids = _add_motor_insurance(window)
    window.show_document(ids["pt"])
    related = window.related
    qtbot.waitUntil(lambda: len(related.entries) == 10, timeout=30000)
    first = related.entries[0]
    assert "两地车辆保险互认安排" in first.text()  # the Chinese notice, nearest to the Portuguese one
    assert first.isVisible()
    first.linkActivated.emit(str(ids["zh"]))  # what a click on its link does
    qtbot.waitUntil(lambda: window.detail.document_id == ids["zh"])
    qtbot.waitUntil(lambda: bool(related.entries) and "Seguro automóvel" in related.entries[0].text(), timeout=30000)
    # after a delete, the list follows
    window.service.documents.delete_document(ids["pt"])
    qtbot.waitUntil(lambda: all("Seguro automóvel" not in e.text() for e in related.entries), timeout=30000)
    idle(qtbot, window)


def test_the_search_tab_shows_both_passes_of_embedding(qtbot, window):
    """The indicator follows the background embedding: the first pass
    (documents not searchable by meaning yet), then the second (long
    documents read to the end); hidden when both are done."""
    tab = window.search_tab
    meaning = window.service.meaning
    label = tab.embedding
    search(qtbot, window, "")  # the Search tab is shown
    # The app's own embedding of the seeded catalog is done (both passes), its thread waits.
    qtbot.waitUntil(lambda: meaning.status().missing == 0 and meaning.status().partial == 0, timeout=60000)
    qtbot.waitUntil(lambda: meaning.progress is None and meaning.refining is None, timeout=10000)
    # What its thread reports while it embeds; shown at the next tick of the
    # tab's timer (called here at once: the thread itself clears these when it
    # wakes, so waiting for a tick raced with it).
    meaning.progress, meaning.refining = (40, 1000), None
    tab.show_embedding()
    assert label.isVisible() and "Preparing search by meaning: 40 of 1,000" in label.text()
    meaning.progress, meaning.refining = None, (250, 1000)
    tab.show_embedding()
    assert label.isVisible() and "Refining search by meaning: 250 of 1,000" in label.text()
    meaning.refining = None
    tab.show_embedding()
    assert not label.isVisible()
